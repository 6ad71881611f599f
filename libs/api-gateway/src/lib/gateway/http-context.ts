import type { IncomingMessage } from 'node:http';
import { withoutCredentials } from '@dispatch/contracts';
import { fieldsOf } from './request-input.js';

/**
 * `context.httpContext` of a run the gateway starts: the request as the function may see it. The
 * caller's credentials (Authorization, Cookie, ...) are left out unless the endpoint forwards them: a
 * function behind a public URL has no business with its callers' sessions by default.
 */
export function httpContextOf(
  req: IncomingMessage,
  url: { path: string; query: URLSearchParams },
  protocol: 'http' | 'https',
  forwardCredentials: boolean,
): Record<string, unknown> {
  return {
    method: req.method ?? 'GET',
    path: url.path,
    query: fieldsOf(url.query),
    headers: forwardCredentials ? req.headers : withoutCredentials(req.headers),
    protocol,
  };
}
