import type { z } from 'zod';
import type { runRequestBody } from '../requests/runs.js';
import type { Run } from './function.js';

/** What the gateway (or an event subscription) asks of the functions domain: one execution. */
export type InvocationRequest = z.infer<typeof runRequestBody> & { functionName: string };

/**
 * Executes functions for other domains: the finished Run when blocking, the accepted one otherwise.
 * The functions domain provides it; another process reaches it over the API.
 */
export interface FunctionInvoker {
  run(scope: { org: string; project: string }, request: InvocationRequest): Promise<Run>;
}

export const FUNCTION_INVOKER = Symbol.for('dispatch.function-invoker');

/**
 * Request headers that carry a caller's credentials. A run's record never keeps their values, and a
 * function sees them only behind an endpoint that forwards credentials (EndpointSpec.forwardCredentials).
 */
export const CREDENTIAL_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-auth-token',
];

const CREDENTIALS = new Set(CREDENTIAL_HEADERS);
const isCredential = (name: string) => CREDENTIALS.has(name.toLowerCase());

/** What a run's record shows in place of a credential. */
export const REDACTED = '[redacted]';

type Headers = Record<string, unknown>;

/**
 * Headers as Node.js hands them over (names in lower case) without the credentials; the same object
 * when there is none, which is most calls.
 */
export function withoutCredentials(headers: Headers): Headers {
  if (!CREDENTIAL_HEADERS.some((name) => name in headers)) return headers;
  const kept: Headers = {};
  for (const [name, value] of Object.entries(headers)) if (!CREDENTIALS.has(name)) kept[name] = value;
  return kept;
}

/**
 * An httpContext as a run's record keeps it: each credential's value replaced by REDACTED, whatever
 * the case of its name (an httpContext may come from any caller of the runs API).
 */
export function recordedHttpContext(
  httpContext: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  const headers = httpContext?.['headers'];
  if (!httpContext || typeof headers !== 'object' || headers === null) return httpContext;
  if (!Object.keys(headers).some(isCredential)) return httpContext;
  const recorded: Headers = {};
  for (const [name, value] of Object.entries(headers as Headers))
    recorded[name] = isCredential(name) ? REDACTED : value;
  return { ...httpContext, headers: recorded };
}
