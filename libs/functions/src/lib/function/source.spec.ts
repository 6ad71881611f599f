import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { inferHandler } from './source.js';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-source-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the handler of a single-file function', () => {
  it('is the file for nodejs and module.handle for python3', async () => {
    expect(await inferHandler('nodejs', dirWith({ 'hello.js': '' }))).toBe('./hello.js');
    expect(await inferHandler('python3', dirWith({ 'hello.py': '' }))).toBe('hello.handle');
  });

  it('is the class in its package for java, comments aside', async () => {
    const source = `/* package not.this; */
// package nor.this;
package io.example.greet ;

public class Hello {}
`;
    expect(await inferHandler('java', dirWith({ 'Hello.java': source }))).toBe('io.example.greet.Hello');
    expect(await inferHandler('java', dirWith({ 'Hello.java': 'public class Hello {}' }))).toBe('Hello');
  });

  it('is not guessed for several files', async () => {
    expect(await inferHandler('nodejs', dirWith({ 'a.js': '', 'b.js': '' }))).toBeUndefined();
  });
});
