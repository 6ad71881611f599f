import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { DomainError, endpointRequest, functionRequest, runRequestBody } from '@dispatch/contracts';
import { withoutAbsentNulls } from './absent-nulls.js';
import { parseBody } from './http-input.js';

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return (err as DomainError).message;
  }
  throw new Error('not refused');
};

describe('a body as a generated client sends it', () => {
  it('takes null for an unset optional field as absent, nested ones too', () => {
    // As the original Dispatch CLI sends a function: every field it leaves unset is null.
    const body = {
      name: 'hello',
      image: 'nodejs',
      handler: null,
      schema: { in: null, out: null },
      secrets: null,
      tags: null,
      source: 'c291cmNl',
    };
    expect(parseBody(functionRequest, body, 'function')).toEqual({
      name: 'hello',
      image: 'nodejs',
      schema: {},
      source: 'c291cmNl',
    });
  });

  it('keeps a null the schema accepts: a run input, and nulls inside free-form values', () => {
    expect(parseBody(runRequestBody, { functionName: 'hello', input: null, tags: null }, 'run')).toEqual({
      functionName: 'hello',
      input: null,
    });
    const input = { a: null, list: [null, { b: null }] };
    expect(parseBody(runRequestBody, { functionName: 'hello', input, secrets: null }, 'run')).toEqual({
      functionName: 'hello',
      input,
    });
    const nullable = z.object({ note: z.string().nullable().optional() });
    expect(parseBody(nullable, { note: null }, 'note')).toEqual({ note: null });
  });

  it('still names a required field sent as null, and a null inside a list', () => {
    expect(
      refusal(() => parseBody(endpointRequest, { name: 'e', function: 'f', uris: null }, 'endpoint')),
    ).toBe('invalid endpoint: uris: uris must be a list of paths');
    expect(
      refusal(() =>
        parseBody(
          endpointRequest,
          { name: 'e', function: 'f', uris: ['/a'], methods: ['GET'], tags: [null] },
          'endpoint',
        ),
      ),
    ).toMatch(/^invalid endpoint: tags\.0: /);
  });

  it('lets no key of the body become the prototype of what is checked', () => {
    const body = JSON.parse('{"name":"e","tags":null,"__proto__":{"function":"stolen"}}') as unknown;
    const copy = withoutAbsentNulls(endpointRequest, body) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy['function']).toBeUndefined();
    expect(refusal(() => parseBody(endpointRequest, body, 'endpoint'))).toBe(
      'invalid endpoint: function: function is required (the function the endpoint runs)',
    );
  });

  it('leaves the body it was given as it was', () => {
    const body = { functionName: 'hello', tags: null, blocking: null };
    expect(parseBody(runRequestBody, body, 'run')).toEqual({ functionName: 'hello' });
    expect(body).toEqual({ functionName: 'hello', tags: null, blocking: null });
  });
});
