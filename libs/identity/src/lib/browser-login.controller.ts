import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { parseCookie, stringifySetCookie } from 'cookie';
import { DomainError, PENDING_SIGN_IN_COOKIE, SIGN_IN_COOKIE } from '@dispatch/contracts';
import { AccessControl, signInCookieOf } from '@dispatch/auth';
import { Public, scopeOf } from '@dispatch/platform';
import { LoginBroker } from './login-broker.js';

type Headers = Record<string, string | undefined>;

interface RedirectReply {
  status(code: number): RedirectReply;
  header(name: string, value: string | string[]): RedirectReply;
}

/** The login under way, kept by the browser between the start and the provider's return. */
interface PendingLogin {
  state: string;
  verifier: string;
  /** This server's callback, as the provider was told it. */
  callback: string;
  /** The path on this host the browser goes to once signed in. */
  back: string;
}

const LOGIN_PATH = '/v1/iam/oauth2';
const LOGIN_SECONDS = 600;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The original Dispatch CLI's browser sign-in, which went through the oauth2-proxy in front of its API:
 * `dispatch login` listens on a loopback port and opens `/v1/iam/oauth2/start?rd=/v1/iam/redirect?
 * redirect=http://127.0.0.1:PORT/catcher`. Here the start sends the browser to the OpenID provider
 * (authorization code with PKCE), the callback redeems the code through the login broker and keeps the
 * ID token in an HttpOnly sign-in cookie, and the redirect hands that cookie to the CLI's loopback
 * listener, which sends it back with every call. Our own CLI signs in with `dispatch login` instead.
 */
@Controller('v1/iam')
@Public()
export class BrowserLoginController {
  constructor(
    private readonly broker: LoginBroker,
    private readonly access: AccessControl,
  ) {}

  @Get('oauth2/start')
  async start(
    @Query('rd') rd: string | undefined,
    @Headers() headers: Headers,
    @Res({ passthrough: true }) reply: RedirectReply,
  ): Promise<void> {
    const back = pathOnThisHost(rd ?? '/home');
    const callback = `${originOf(headers)}${LOGIN_PATH}/callback`;
    const { url, state, verifier } = await this.broker.browserLogin(callback);
    const pending: PendingLogin = { state, verifier, callback, back };
    reply
      .status(302)
      .header('location', url)
      .header(
        'set-cookie',
        cookie(headers, PENDING_SIGN_IN_COOKIE, Buffer.from(JSON.stringify(pending)).toString('base64url'), {
          path: LOGIN_PATH,
          maxAge: LOGIN_SECONDS,
        }),
      );
  }

  @Get('oauth2/callback')
  async callback(
    @Headers() headers: Headers,
    @Req() request: { url: string },
    @Res({ passthrough: true }) reply: RedirectReply,
  ): Promise<void> {
    const pending = pendingLoginOf(headers);
    const answer = await this.broker.token({
      grantType: 'authorization_code',
      callbackUrl: `${pending.callback}${new URL(request.url, 'http://x').search}`,
      codeVerifier: pending.verifier,
      state: pending.state,
    });
    if (!('idToken' in answer)) throw new DomainError('UNAUTHENTICATED', 'the login did not finish');
    const seconds = Math.max(0, answer.expiresAt - Math.floor(Date.now() / 1000));
    reply
      .status(302)
      .header('location', pending.back)
      .header('set-cookie', [
        cookie(headers, PENDING_SIGN_IN_COOKIE, '', { path: LOGIN_PATH, maxAge: 0 }),
        // Sent by the browser only where it is needed, the redirect to the CLI: the less of the host
        // that sees it, the better (endpoints share the host, and in solo its name across ports).
        cookie(headers, SIGN_IN_COOKIE, answer.idToken, { path: '/v1/iam', maxAge: seconds }),
      ]);
  }

  /** Hands the sign-in cookie to the original CLI's listener, which must be on this machine. */
  @Get('redirect')
  async redirect(
    @Query('redirect') redirect: string | undefined,
    @Headers() headers: Headers,
    @Res({ passthrough: true }) reply: RedirectReply,
  ): Promise<void> {
    const token = signInCookieOf(headers);
    if (token === undefined)
      throw new DomainError(
        'UNAUTHENTICATED',
        `this call needs a browser sign-in: open ${LOGIN_PATH}/start?rd=<this path> (the original CLI's \`dispatch login\` does), or run our \`dispatch login\``,
      );
    await this.access.check({
      authorization: `Bearer ${token}`,
      org: scopeOf(headers).org,
      resource: 'api',
      action: 'get',
      authenticateOnly: true,
    });
    const target = loopbackUrl(redirect);
    target.searchParams.set('cookie', `${SIGN_IN_COOKIE}=${token}`);
    reply.status(302).header('location', target.href);
  }
}

/** `http(s)://host` as the browser reached this server (through an ingress, as it says). */
function originOf(headers: Headers): string {
  const proto = headers['x-forwarded-proto']?.split(',')[0]?.trim() === 'https' ? 'https' : 'http';
  const host = headers['host'];
  if (!host || !/^[\w.-]+(:\d+)?$|^\[[\da-f:.]+\](:\d+)?$/i.test(host))
    throw new DomainError('INVALID_ARGUMENT', 'the call has no valid Host header to sign in on');
  return `${proto}://${host}`;
}

/** A path on this host: never another site, so a link cannot send a signed-in browser elsewhere. */
function pathOnThisHost(rd: string): string {
  if (!/^\/(?![/\\])/.test(rd) || /[\s\\]/.test(rd))
    throw new DomainError(
      'INVALID_ARGUMENT',
      `rd must be a path on this host, such as /home, not ${JSON.stringify(rd)}`,
    );
  return rd;
}

/** The CLI's listener: plain HTTP on a loopback address, where the token stays on the machine. */
function loopbackUrl(redirect: string | undefined): URL {
  let url: URL | undefined;
  try {
    url = redirect ? new URL(redirect) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname) || url.username || url.password)
    throw new DomainError(
      'INVALID_ARGUMENT',
      `redirect must be the CLI's listener on this machine (http://127.0.0.1:PORT/...), not ${JSON.stringify(redirect ?? '')}`,
    );
  return url;
}

function pendingLoginOf(headers: Headers): PendingLogin {
  const value = parseCookie(headers['cookie'] ?? '')[PENDING_SIGN_IN_COOKIE];
  try {
    const pending = JSON.parse(Buffer.from(value ?? '', 'base64url').toString()) as Partial<PendingLogin>;
    if (
      typeof pending.state === 'string' &&
      typeof pending.verifier === 'string' &&
      typeof pending.callback === 'string' &&
      typeof pending.back === 'string'
    )
      return { ...pending, back: pathOnThisHost(pending.back) } as PendingLogin;
  } catch {
    // Read as no login below.
  }
  throw new DomainError(
    'INVALID_ARGUMENT',
    `no sign-in is under way in this browser (it began elsewhere, or over ${LOGIN_SECONDS / 60} minutes ago): start again at ${LOGIN_PATH}/start`,
  );
}

/**
 * A cookie only this server reads (HttpOnly), sent on top-level navigations from elsewhere (Lax: the
 * provider's redirect back is one), and over HTTPS only when the browser came by HTTPS.
 */
function cookie(headers: Headers, name: string, value: string, options: { path: string; maxAge: number }) {
  return stringifySetCookie({
    name,
    value,
    ...options,
    httpOnly: true,
    sameSite: 'lax',
    secure: originOf(headers).startsWith('https:'),
  });
}
