import { Readable } from 'node:stream';
import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import { DomainError } from '@dispatch/contracts';
import { Public } from '@dispatch/platform';
import { apiUrlOf, CONSOLE_CONFIG, type ConsoleConfig } from './console.config.js';
import { ConsoleSessions } from './sessions.js';
import { SessionTokens } from './session-tokens.js';

interface Request {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The JSON body as sent (the platform's JSON parser keeps it). */
  rawBody?: string;
  raw: { once(event: 'close', listener: () => void): void };
}

interface Reply {
  code(status: number): Reply;
  header(name: string, value: string): Reply;
  send(body?: unknown): Reply;
}

const PREFIX = '/ui/api';
/** What of the page's request reaches the API: never its cookies, nor an Authorization of its own. */
const FORWARDED_REQUEST = [
  'accept',
  'content-type',
  'x-dispatch-org',
  'x-dispatch-project',
  'x-dispatch-blocking',
  'x-request-id',
  'last-event-id',
];
/** And what of the API's answer reaches the page. */
const FORWARDED_ANSWER = ['content-type', 'cache-control', 'x-request-id', 'retry-after'];

/** Whether a path names secrets, however it is spelled (percent-encoded, doubled slashes, any case). */
export function isSecretsPath(path: string): boolean {
  let pathname = path.split('?')[0] ?? '';
  try {
    pathname = decodeURIComponent(pathname);
  } catch {
    // Not decodable: judged as sent.
  }
  return /^\/v1\/secret(?:\/|$)/.test(pathname.toLowerCase().replace(/\/{2,}/g, '/'));
}

/**
 * Secrets leave the console's server as their names and keys only: their values never reach a page,
 * where a script of another origin, an extension or a screen share could read them. Whoever needs a
 * value (a function) gets it from the API, as the policies allow.
 */
export function withoutSecretValues(text: string): string {
  const strip = (secret: unknown): unknown => {
    if (typeof secret !== 'object' || secret === null) return secret;
    const { secrets, ...rest } = secret as { secrets?: Record<string, unknown> | null };
    return { ...rest, keys: Object.keys(secrets ?? {}) };
  };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return '{}';
  }
  return JSON.stringify(Array.isArray(body) ? body.map(strip) : strip(body));
}

/**
 * The console's way to the API: `/ui/api/<path>` is `<path>` of the API, called with the session's
 * bearer token. The page never holds a token: its session cookie (HttpOnly) and CSRF token are the
 * credential here, and what it may do is what the API's policies let that user do, refusals included.
 * Answers stream through, so a follow of runs (server-sent events) works as it does for the CLI.
 */
@Controller('ui/api')
@Public()
export class ApiProxyController {
  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    private readonly sessions: ConsoleSessions,
    private readonly tokens: SessionTokens,
  ) {}

  @All('*')
  async forward(@Req() request: Request, @Res() reply: Reply): Promise<void> {
    const session = await this.sessions.require(request);
    // Resolved as fetch will resolve it (dot segments, their percent-encoded forms, backslashes), so
    // what is checked below is what is called: `/v1/function/../secret` is a call of secrets.
    const resolved = new URL(request.url.slice(PREFIX.length), 'http://console');
    const path = `${resolved.pathname}${resolved.search}`;
    if (!path.startsWith('/v1/'))
      throw new DomainError('NOT_FOUND', `the console forwards only /v1/ calls, not ${path}`);
    const headers: Record<string, string> = { authorization: `Bearer ${await this.tokens.bearer(session)}` };
    for (const name of FORWARDED_REQUEST) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    let answer: Response;
    try {
      answer = await fetch(`${apiUrlOf(this.config, path)}${path}`, {
        method: request.method,
        headers,
        body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.rawBody,
        signal: abort.signal,
        redirect: 'manual',
      });
    } catch (err) {
      throw new DomainError('UNAVAILABLE', `the console cannot reach the API: ${(err as Error).message}`);
    }
    reply.code(answer.status);
    for (const name of FORWARDED_ANSWER) {
      const value = answer.headers.get(name);
      if (value !== null) reply.header(name, value);
    }
    if (isSecretsPath(path) && answer.ok) {
      // Only JSON can be cut down to keys; anything else of secrets (a stream) is not passed on.
      if (!(answer.headers.get('content-type') ?? '').startsWith('application/json')) {
        await answer.body?.cancel();
        throw new DomainError('INVALID_ARGUMENT', 'the console passes on secrets as JSON only');
      }
      reply.send(withoutSecretValues(await answer.text()));
      return;
    }
    reply.send(answer.body ? Readable.fromWeb(answer.body as never) : undefined);
  }
}
