import { randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, Inject, Logger, Post, Query, Req, Res } from '@nestjs/common';
import * as oidc from 'openid-client';
import { discoveryOptions } from '@dispatch/auth';
import {
  DomainError,
  type ConsoleSessionInfo,
  type ConsoleSignInOptions,
  type LoginConfig,
  type LoginTokens,
} from '@dispatch/contracts';
import { Public } from '@dispatch/platform';
import { CONSOLE_CONFIG, type ConsoleConfig } from './console.config.js';
import type { ConsoleRecords } from './console-records.js';
import {
  ConsoleSessions,
  cookieOf,
  keyOf,
  LOGIN_RECORDS,
  LOGIN_WITHIN_MS,
  sessionCookie,
} from './sessions.js';
import { SessionTokens } from './session-tokens.js';
import { SignInLinks } from './sign-in-links.js';

interface Request {
  headers: Record<string, string | string[] | undefined>;
  protocol?: string;
  host?: string;
}

interface Reply {
  code(status: number): Reply;
  header(name: string, value: string | string[]): Reply;
  send(body?: unknown): Reply;
}

const LOGIN_COOKIE = 'dispatch_console_login';

interface PendingLogin {
  state: string;
  codeVerifier: string;
  redirectUri: string;
  createdAt: number;
}

/**
 * Signing in to the console and out: a one-time link (solo's local administrator), or OpenID Connect
 * through the login broker (authorization code with PKCE, the console's server keeping the verifier
 * and the broker the client secret). All public: they are how a caller gets a session.
 */
@Controller('ui')
@Public()
export class SignInController {
  private readonly logger = new Logger('console');
  private provider?: Promise<{ config: oidc.Configuration; scopes: string }>;

  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    private readonly sessions: ConsoleSessions,
    private readonly links: SignInLinks,
    private readonly tokens: SessionTokens,
    @Inject(LOGIN_RECORDS) private readonly logins: ConsoleRecords<PendingLogin>,
  ) {}

  /** 200 with the session, or 401 saying how one may sign in. */
  @Get('session')
  async session(@Req() request: Request, @Res() reply: Reply): Promise<void> {
    const session = await this.sessions.find(request);
    reply.header('cache-control', 'no-store');
    if (session) {
      const info: ConsoleSessionInfo = {
        subject: session.subject,
        groups: session.groups,
        csrfToken: session.csrfToken,
        endpointsUrl:
          typeof this.config.endpointsUrl === 'function'
            ? this.config.endpointsUrl()
            : this.config.endpointsUrl,
      };
      reply.code(200).send(info);
      return;
    }
    const options: ConsoleSignInOptions = {
      oidc: await this.loginConfig().then(
        () => true,
        () => false,
      ),
      link: this.config.localAdministrator !== undefined,
    };
    reply.code(401).send({
      code: 401,
      errorCode: 'UNAUTHENTICATED',
      message: 'not signed in to the console',
      signIn: options,
    });
  }

  @Get('login/link')
  async link(
    @Query('token') token: string | undefined,
    @Req() request: Request,
    @Res() reply: Reply,
  ): Promise<void> {
    const admin = this.config.localAdministrator;
    // A browser followed the link: a spent one lands on the sign-in page, which says why.
    if (!admin || typeof token !== 'string' || !this.links.redeem(token)) {
      seeOther(reply, '/ui/?signIn=link');
      return;
    }
    const { cookie } = await this.sessions.start(
      admin.serviceAccount,
      [],
      { kind: 'local' },
      this.secure(request),
    );
    reply.header('set-cookie', cookie).header('referrer-policy', 'no-referrer');
    seeOther(reply, '/ui/');
  }

  @Get('login/oidc')
  async loginOidc(@Req() request: Request, @Res() reply: Reply): Promise<void> {
    const { config, scopes } = await this.openId();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const redirectUri = `${this.origin(request)}/ui/login/callback`;
    const id = randomBytes(32).toString('base64url');
    await this.logins.put(keyOf(id), { state, codeVerifier, redirectUri, createdAt: Date.now() });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
    });
    reply.header('set-cookie', sessionCookie(id, this.secure(request), LOGIN_WITHIN_MS / 1000, LOGIN_COOKIE));
    seeOther(reply, url.href);
  }

  /** The provider sends the browser back here; only the browser that started the login may finish it. */
  @Get('login/callback')
  async callback(@Req() request: Request & { url: string }, @Res() reply: Reply): Promise<void> {
    const id = cookieOf(request, LOGIN_COOKIE);
    const login = id ? await this.logins.get(keyOf(id)) : undefined;
    // Not started in this browser, or over 10 minutes ago: the sign-in page says to start again.
    if (!id || !login || Date.now() - login.createdAt > LOGIN_WITHIN_MS) {
      seeOther(reply, '/ui/?signIn=expired');
      return;
    }
    await this.logins.delete(keyOf(id));
    const query = new URL(request.url, 'http://console').search;
    let tokens: LoginTokens;
    try {
      tokens = (await this.tokens.broker().loginToken({
        grantType: 'authorization_code',
        callbackUrl: `${login.redirectUri}${query}`,
        codeVerifier: login.codeVerifier,
        state: login.state,
      })) as LoginTokens;
    } catch (err) {
      // The provider's or the broker's reason is logged here; the page only says the sign-in failed,
      // so no text from a query string is ever shown to the user.
      this.logger.warn(`a console sign-in was refused: ${(err as Error).message}`);
      seeOther(reply, '/ui/?signIn=refused');
      return;
    }
    const secure = this.secure(request);
    const { cookie } = await this.sessions.start(
      tokens.subject,
      tokens.groups,
      {
        kind: 'oidc',
        idToken: tokens.idToken,
        refreshToken: tokens.refreshToken,
        expiresAt: tokens.expiresAt,
      },
      secure,
    );
    reply.header('set-cookie', [cookie, sessionCookie('', secure, 0, LOGIN_COOKIE)]);
    seeOther(reply, '/ui/');
  }

  /** Ends the session here and, for an OpenID login, its refresh token at the provider. */
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() request: Request, @Res() reply: Reply): Promise<void> {
    const session = await this.sessions.require(request);
    if (session.credential.kind === 'oidc' && session.credential.refreshToken)
      await this.tokens
        .broker()
        .logout(session.credential.refreshToken)
        .catch(() => undefined);
    const cleared = await this.sessions.end(request, this.secure(request));
    reply.header('set-cookie', cleared).code(204).send();
  }

  private loginConfig(): Promise<LoginConfig> {
    return this.tokens.broker().loginConfig();
  }

  /** The provider as the login broker names it, discovered once (again after a failure). */
  private openId(): Promise<{ config: oidc.Configuration; scopes: string }> {
    this.provider ??= this.loginConfig()
      .then(async ({ issuer, clientId, scopes }) => ({
        config: await oidc.discovery(
          new URL(issuer),
          clientId,
          undefined,
          undefined,
          discoveryOptions(issuer),
        ),
        scopes,
      }))
      .catch((err: unknown) => {
        this.provider = undefined;
        throw err instanceof DomainError
          ? err
          : new DomainError(
              'UNAVAILABLE',
              `the OpenID provider cannot be reached: ${(err as Error).message}`,
            );
      });
    return this.provider;
  }

  private origin(request: Request): string {
    if (this.config.publicUrl) return this.config.publicUrl.replace(/\/+$/, '');
    return `${request.protocol ?? 'http'}://${request.host ?? 'localhost'}`;
  }

  private secure(request: Request): boolean {
    return this.config.secureCookies || request.protocol === 'https';
  }
}

function seeOther(reply: Reply, location: string): void {
  reply.code(303).header('location', location).header('cache-control', 'no-store').send();
}
