import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { DispatchClient } from '@dispatch/api-client';
import { DomainError, type LoginTokens } from '@dispatch/contracts';
import { apiUrlOf, CONSOLE_CONFIG, type ConsoleConfig } from './console.config.js';
import { ConsoleSessions, type ConsoleSession } from './sessions.js';

/** Tokens signed for the local administrator live this long, and are used until a minute before. */
const LOCAL_TOKEN_LIFETIME_S = 10 * 60;
const RENEW_MARGIN_S = 60;

/**
 * The bearer token each call of a session carries to the API. The local administrator's is signed with
 * its key (as the CLI signs one); an OpenID login's ID token is refreshed through the login broker when
 * it is about to expire, as the CLI does, and a refused refresh ends the session.
 */
@Injectable()
export class SessionTokens {
  private local?: { token: string; renewAt: number };
  private key?: KeyObject;

  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    private readonly sessions: ConsoleSessions,
  ) {}

  async bearer(session: ConsoleSession): Promise<string> {
    const credential = session.credential;
    switch (credential.kind) {
      case 'local':
        return this.localToken();
      case 'oidc': {
        if (credential.expiresAt - RENEW_MARGIN_S > Date.now() / 1000) return credential.idToken;
        if (!credential.refreshToken)
          throw new DomainError('UNAUTHENTICATED', 'the sign-in has expired: sign in again');
        const fresh = (await this.broker().loginToken({
          grantType: 'refresh_token',
          refreshToken: credential.refreshToken,
        })) as LoginTokens;
        await this.sessions.save({
          ...session,
          credential: {
            kind: 'oidc',
            idToken: fresh.idToken,
            refreshToken: fresh.refreshToken,
            expiresAt: fresh.expiresAt,
          },
        });
        return fresh.idToken;
      }
    }
  }

  /** The login broker of the API (identity's), which holds the provider's client secret. */
  broker(): DispatchClient {
    return new DispatchClient({ baseUrl: apiUrlOf(this.config, '/v1/iam/login'), timeoutMs: 15_000 });
  }

  private async localToken(): Promise<string> {
    const admin = this.config.localAdministrator;
    if (!admin) throw new DomainError('UNAUTHENTICATED', 'this console has no local administrator');
    const now = Date.now() / 1000;
    if (this.local && this.local.renewAt > now) return this.local.token;
    this.key ??= createPrivateKey(readFileSync(admin.keyFile, 'utf8'));
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(admin.serviceAccount)
      .setIssuedAt()
      .setExpirationTime(`${LOCAL_TOKEN_LIFETIME_S}s`)
      .sign(this.key);
    this.local = { token, renewAt: now + LOCAL_TOKEN_LIFETIME_S - RENEW_MARGIN_S };
    return token;
  }
}
