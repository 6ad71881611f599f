import { describe, expect, it } from '@jest/globals';
import { NAME_PATTERN } from './entity.js';

describe('NAME_PATTERN', () => {
  it.each(['hello', 'a', 'hello-world', 'fn_1', 'A1'])('accepts %s', (name) => {
    expect(NAME_PATTERN.test(name)).toBe(true);
  });

  it.each(['', '-hello', 'hello-', 'hello world', 'a/b', 'héllo!'])('refuses %j', (name) => {
    expect(NAME_PATTERN.test(name)).toBe(false);
  });
});
