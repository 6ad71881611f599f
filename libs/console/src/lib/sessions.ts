import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { parse, serialize } from 'cookie';
import { LRUCache } from 'lru-cache';
import { DomainError } from '@dispatch/contracts';

/** Where a session's calls get their bearer token: the local administrator's key, or an OpenID login. */
export type SessionCredential =
  { kind: 'local' } | { kind: 'oidc'; idToken: string; refreshToken?: string; expiresAt: number };

export interface ConsoleSession {
  subject: string;
  groups: string[];
  /** Sent back by the page in X-CSRF-Token on every call: a page of another site cannot read it. */
  csrfToken: string;
  credential: SessionCredential;
  /** Milliseconds since the epoch; a session ends at its absolute lifetime whatever its use. */
  createdAt: number;
}

export const SESSION_COOKIE = 'dispatch_console';
/** A session unused this long ends (each call renews it). */
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
/** And every session ends this long after sign-in. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
/** Held in memory: a bound, so no number of sign-ins can grow the process without end. */
const MAX_SESSIONS = 10_000;

interface CookieRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The console's sessions: a random id in an HttpOnly, SameSite=Lax cookie scoped to /ui, the session
 * itself in this process (only a hash of the id is kept as the key, so a memory dump holds no cookie).
 * A session is the credential of every call the page makes through /ui/api, with its CSRF token.
 */
@Injectable()
export class ConsoleSessions {
  private readonly sessions = new LRUCache<string, ConsoleSession>({
    max: MAX_SESSIONS,
    ttl: SESSION_IDLE_MS,
    updateAgeOnGet: true,
  });

  /** Starts a session: the Set-Cookie header that carries it. */
  start(
    subject: string,
    groups: string[],
    credential: SessionCredential,
    secure: boolean,
  ): { cookie: string; session: ConsoleSession } {
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = {
      subject,
      groups,
      csrfToken: randomBytes(32).toString('base64url'),
      credential,
      createdAt: Date.now(),
    };
    this.sessions.set(key(id), session);
    return { cookie: sessionCookie(id, secure, SESSION_LIFETIME_MS / 1000), session };
  }

  /** The caller's session, or undefined: no cookie, an unknown or ended one. */
  find(request: CookieRequest): ConsoleSession | undefined {
    const id = cookieOf(request, SESSION_COOKIE);
    if (!id) return undefined;
    const session = this.sessions.get(key(id));
    if (session && Date.now() - session.createdAt > SESSION_LIFETIME_MS) {
      this.sessions.delete(key(id));
      return undefined;
    }
    return session;
  }

  /** The session of a call that changes or reads data: signed in, and its CSRF token sent back. */
  require(request: CookieRequest): ConsoleSession {
    const session = this.find(request);
    if (!session)
      throw new DomainError('UNAUTHENTICATED', 'not signed in to the console, or the session has ended');
    const sent = request.headers['x-csrf-token'];
    const token = Array.isArray(sent) ? sent[0] : sent;
    if (!token || !sameSecret(token, session.csrfToken))
      throw new DomainError('FORBIDDEN', "the call did not carry this session's X-CSRF-Token");
    return session;
  }

  /** Ends the caller's session: the Set-Cookie header that clears it. */
  end(request: CookieRequest, secure: boolean): string {
    const id = cookieOf(request, SESSION_COOKIE);
    if (id) this.sessions.delete(key(id));
    return sessionCookie('', secure, 0);
  }
}

export function cookieOf(request: CookieRequest, name: string): string | undefined {
  const header = request.headers['cookie'];
  const text = Array.isArray(header) ? header.join('; ') : header;
  return text ? parse(text)[name] : undefined;
}

export function sessionCookie(value: string, secure: boolean, maxAge: number, name = SESSION_COOKIE): string {
  return serialize(name, value, { httpOnly: true, sameSite: 'lax', secure, path: '/ui', maxAge });
}

const key = (id: string) => createHash('sha256').update(id).digest('base64url');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
