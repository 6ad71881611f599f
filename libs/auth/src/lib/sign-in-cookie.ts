import { parseCookie } from 'cookie';
import { DomainError, SIGN_IN_COOKIE } from '@dispatch/contracts';

type Headers = Record<string, string | string[] | undefined>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The ID token a call's sign-in cookie holds, if it has one: the cookie of a browser sign-in (identity's
 * `/v1/iam/oauth2/...`), which the original CLI keeps and sends back as is.
 */
export function signInCookieOf(headers: Headers): string | undefined {
  const cookies = first(headers['cookie']);
  return cookies ? parseCookie(cookies)[SIGN_IN_COOKIE] || undefined : undefined;
}

/**
 * Gives a call without an Authorization header the credential of its sign-in cookie, as a bearer (what
 * oauth2-proxy did for the original's services), so that everything after sees one kind of credential.
 * A browser sends its cookies with calls that other sites' pages make too: a state-changing call the
 * browser marks as made from elsewhere (Sec-Fetch-Site, or an Origin that is not this host) is refused
 * rather than run on the signed-in user's behalf. The original CLI sends neither header.
 */
export function acceptSignInCookie(method: string, headers: Headers): void {
  if (headers['authorization'] !== undefined) return;
  const token = signInCookieOf(headers);
  if (token === undefined) return;
  if (!SAFE_METHODS.has(method.toUpperCase()) && madeElsewhere(headers))
    throw new DomainError(
      'FORBIDDEN',
      'a sign-in cookie is not accepted for a call made from another site: send `Authorization: Bearer <token>`',
    );
  headers['authorization'] = `Bearer ${token}`;
}

function madeElsewhere(headers: Headers): boolean {
  const site = first(headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = first(headers['origin']);
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== first(headers['host']);
  } catch {
    return true;
  }
}
