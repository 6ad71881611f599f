import type { IncomingMessage } from 'node:http';
import { withoutCredentials, withoutDispatchCookies } from '@dispatch/contracts';
import { fieldsOf } from './request-input.js';

/**
 * `context.httpContext` of a run the gateway starts: the request as the function may see it. The
 * caller's credentials (Authorization, Cookie, ...) are left out unless the endpoint forwards them: a
 * function behind a public URL has no business with its callers' sessions by default. Dispatch's own
 * sign-in cookie is left out even then: a browser signed in to the API sends it to any endpoint on
 * the same host, and with it a tenant's function could act as that user.
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
    headers: forwardCredentials ? withoutDispatchCookies(req.headers) : withoutCredentials(req.headers),
    protocol,
  };
}
