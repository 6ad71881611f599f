import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@dispatch/contracts';
import { MAX_JSON_DEPTH, parseJson } from './http-input.js';

const refusal = (text: string) => {
  try {
    parseJson(text);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('INVALID_ARGUMENT');
    return (err as DomainError).message;
  }
  throw new Error('not refused');
};

describe('a JSON request body', () => {
  it('parses JSON nested as deep as the limit', () => {
    const deepest = `${'['.repeat(MAX_JSON_DEPTH)}1${']'.repeat(MAX_JSON_DEPTH)}`;
    expect(JSON.stringify(parseJson(deepest))).toBe(deepest);
    expect(parseJson('{"a":{"b":[1,{"c":null}]}}')).toEqual({ a: { b: [1, { c: null }] } });
  });

  it('refuses JSON nested deeper, however it nests, and what is not JSON, saying which', () => {
    const objects = `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`;
    const arrays = `[${'['.repeat(5000)}${']'.repeat(5000)}]`;
    for (const text of [objects, arrays])
      expect(refusal(text)).toBe(`the request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(refusal('{"name": ')).toMatch(/^the request body is not valid JSON: /);
  });
});
