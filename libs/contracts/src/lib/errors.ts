/**
 * Error codes shared by every service, the CLI and the API client. A service throws a DomainError with
 * one of these; the HTTP filter turns it into `{code, message}` with the status below, and the CLI into
 * one line and an exit code.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'REVISION_CONFLICT',
  'REVISION_COMPACTED',
  'PAYLOAD_TOO_LARGE',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'INTERNAL',
  // The gateway's answers about an HTTP request to an endpoint.
  'METHOD_NOT_ALLOWED',
  'UNSUPPORTED_MEDIA_TYPE',
  'HTTPS_REQUIRED',
  // A function that failed (FunctionError, SystemError) or ran out of time, behind an endpoint.
  'FUNCTION_FAILED',
  'DEADLINE_EXCEEDED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DomainError';
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** The HTTP status a code maps to. The switch is exhaustive: a new code will not compile until mapped. */
export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_ARGUMENT':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'ALREADY_EXISTS':
    case 'REVISION_CONFLICT':
      return 409;
    case 'REVISION_COMPACTED':
      return 410;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'RESOURCE_EXHAUSTED':
      return 429;
    case 'UNAVAILABLE':
      return 503;
    case 'INTERNAL':
      return 500;
    case 'METHOD_NOT_ALLOWED':
      return 405;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'HTTPS_REQUIRED':
      return 426;
    case 'FUNCTION_FAILED':
      return 502;
    case 'DEADLINE_EXCEEDED':
      return 504;
  }
}

/** The error body every API answers with, as in the original Dispatch (`code`, `message`). */
export interface ErrorBody {
  code: number;
  errorCode: ErrorCode;
  message: string;
}

/** The closest code for a bare HTTP status, for answers that carry no code of their own. */
export function errorCodeOfStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'ALREADY_EXISTS';
  if (status === 410) return 'REVISION_COMPACTED';
  if (status === 405) return 'METHOD_NOT_ALLOWED';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 426) return 'HTTPS_REQUIRED';
  if (status === 429) return 'RESOURCE_EXHAUSTED';
  if (status === 502) return 'FUNCTION_FAILED';
  if (status === 503) return 'UNAVAILABLE';
  if (status === 504) return 'DEADLINE_EXCEEDED';
  if (status >= 400 && status < 500) return 'INVALID_ARGUMENT';
  return 'INTERNAL';
}
