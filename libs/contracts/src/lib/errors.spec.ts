import { describe, expect, it } from '@jest/globals';
import { DomainError, ERROR_CODES, httpStatusOf, isDomainError } from './errors.js';

describe('error codes', () => {
  it('maps every code to a 4xx or 5xx status', () => {
    for (const code of ERROR_CODES) {
      const status = httpStatusOf(code);
      expect(status >= 400 && status < 600).toBe(true);
    }
  });

  it('maps the codes clients branch on to the statuses the upstream API uses', () => {
    expect(httpStatusOf('NOT_FOUND')).toBe(404);
    expect(httpStatusOf('ALREADY_EXISTS')).toBe(409);
    expect(httpStatusOf('INVALID_ARGUMENT')).toBe(400);
    expect(httpStatusOf('UNAUTHENTICATED')).toBe(401);
    expect(httpStatusOf('FORBIDDEN')).toBe(403);
  });

  it('recognises its own errors', () => {
    expect(isDomainError(new DomainError('NOT_FOUND', 'x'))).toBe(true);
    expect(isDomainError(new Error('x'))).toBe(false);
  });
});
