import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { parse, serialize } from 'cookie';
import { DomainError } from '@dispatch/contracts';
import type { ConsoleRecords } from './console-records.js';

/** Where a session's calls get their bearer token: the local administrator's key, or an OpenID login. */
export type SessionCredential =
  { kind: 'local' } | { kind: 'oidc'; idToken: string; refreshToken?: string; expiresAt: number };

export interface ConsoleSession {
  /** The hash of the cookie's id: where the session is kept. */
  key: string;
  subject: string;
  groups: string[];
  /** Sent back by the page in X-CSRF-Token on every call: a page of another site cannot read it. */
  csrfToken: string;
  credential: SessionCredential;
  /** Milliseconds since the epoch; a session ends at its absolute lifetime whatever its use. */
  createdAt: number;
  /** When it was last used (to a minute): a session unused for SESSION_IDLE_MS ends. */
  lastSeen: number;
}

export const SESSION_COOKIE = 'dispatch_console';
/** A session unused this long ends (each call renews it). */
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
/** And every session ends this long after sign-in. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

interface CookieRequest {
  headers: Record<string, string | string[] | undefined>;
}

/** Where sessions are kept (ConsoleRecords of ConsoleSession), and sign-ins waiting for the provider. */
export const SESSION_RECORDS = Symbol('SESSION_RECORDS');
export const LOGIN_RECORDS = Symbol('LOGIN_RECORDS');
/** A session's last use is written again at most this often (each write is a store round trip). */
const TOUCH_EVERY_MS = 60_000;
/** Ended sessions and abandoned sign-ins are swept this often. */
const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * The console's sessions: a random id in an HttpOnly, SameSite=Lax cookie scoped to /ui, the session
 * itself kept by the hash of that id (so what is kept holds no cookie), in memory in solo and in the
 * entity store in the distributed shape, where any api-gateway replica serves any user. A session is
 * the credential of every call the page makes through /ui/api, with its CSRF token.
 */
@Injectable()
export class ConsoleSessions implements OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;

  constructor(
    @Inject(SESSION_RECORDS) private readonly records: ConsoleRecords<ConsoleSession>,
    @Inject(LOGIN_RECORDS) private readonly logins: ConsoleRecords<{ createdAt: number }>,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_EVERY_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Starts a session: the Set-Cookie header that carries it. */
  async start(
    subject: string,
    groups: string[],
    credential: SessionCredential,
    secure: boolean,
  ): Promise<{ cookie: string; session: ConsoleSession }> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: ConsoleSession = {
      key: keyOf(id),
      subject,
      groups,
      csrfToken: randomBytes(32).toString('base64url'),
      credential,
      createdAt: now,
      lastSeen: now,
    };
    await this.records.put(session.key, session);
    return { cookie: sessionCookie(id, secure, SESSION_LIFETIME_MS / 1000), session };
  }

  /** The caller's session, or undefined: no cookie, an unknown or ended one. */
  async find(request: CookieRequest): Promise<ConsoleSession | undefined> {
    const id = cookieOf(request, SESSION_COOKIE);
    if (!id) return undefined;
    const session = await this.records.get(keyOf(id));
    if (!session) return undefined;
    const now = Date.now();
    if (ended(session, now)) {
      await this.records.delete(session.key);
      return undefined;
    }
    if (now - session.lastSeen > TOUCH_EVERY_MS) await this.save({ ...session, lastSeen: now });
    return session;
  }

  /** Keeps a changed session (a refreshed sign-in, a later last use). */
  async save(session: ConsoleSession): Promise<void> {
    await this.records.put(session.key, session);
  }

  /** The session of a call that changes or reads data: signed in, and its CSRF token sent back. */
  async require(request: CookieRequest): Promise<ConsoleSession> {
    const session = await this.find(request);
    if (!session)
      throw new DomainError('UNAUTHENTICATED', 'not signed in to the console, or the session has ended');
    const sent = request.headers['x-csrf-token'];
    const token = Array.isArray(sent) ? sent[0] : sent;
    if (!token || !sameSecret(token, session.csrfToken))
      throw new DomainError('FORBIDDEN', "the call did not carry this session's X-CSRF-Token");
    return session;
  }

  /** Ends the caller's session: the Set-Cookie header that clears it. */
  async end(request: CookieRequest, secure: boolean): Promise<string> {
    const id = cookieOf(request, SESSION_COOKIE);
    if (id) await this.records.delete(keyOf(id));
    return sessionCookie('', secure, 0);
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    await this.records.sweep((session) => ended(session, now)).catch(() => undefined);
    await this.logins.sweep((login) => now - login.createdAt > LOGIN_WITHIN_MS).catch(() => undefined);
  }
}

/** Whether a session is past its idle time or its lifetime. */
function ended(session: ConsoleSession, now: number): boolean {
  return now - session.lastSeen > SESSION_IDLE_MS || now - session.createdAt > SESSION_LIFETIME_MS;
}

/** A sign-in at the provider must come back within this long. */
export const LOGIN_WITHIN_MS = 10 * 60 * 1000;

export function cookieOf(request: CookieRequest, name: string): string | undefined {
  const header = request.headers['cookie'];
  const text = Array.isArray(header) ? header.join('; ') : header;
  return text ? parse(text)[name] : undefined;
}

export function sessionCookie(value: string, secure: boolean, maxAge: number, name = SESSION_COOKIE): string {
  return serialize(name, value, { httpOnly: true, sameSite: 'lax', secure, path: '/ui', maxAge });
}

/** A hex hash of a cookie's id: a valid entity name, and no use to whoever reads the store. */
export const keyOf = (id: string) => createHash('sha256').update(id).digest('hex');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
