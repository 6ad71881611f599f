import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { allowInsecureRequests, discovery } from 'openid-client';
import { BOOTSTRAP_SUBJECT, DomainError, type Caller } from '@dispatch/contracts';
import { refused } from './service-account-tokens.js';

/** How Dispatch trusts an OpenID provider: its issuer, the client id tokens are issued to, and claims. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** The client secret: only the login broker (identity) needs it, never the guard. */
  clientSecret?: string;
  /** The claim naming the user (default `email`, falling back to `sub` when a token has none). */
  usernameClaim?: string;
  /** The claim holding the user's groups (default `groups`), usable as `group:<name>` subjects. */
  groupsClaim?: string;
}

/** openid-client refuses plain HTTP unless told; an operator who configured an http issuer chose it. */
export function discoveryOptions(issuer: string) {
  return new URL(issuer).protocol === 'http:' ? { execute: [allowInsecureRequests] } : undefined;
}

/**
 * Verifies ID tokens of the configured OpenID provider, as a Kubernetes API server does: signed by a key
 * of the provider's JWKS (found through discovery, fetched and rotated by jose), issued by it, to
 * Dispatch's client id, and not expired. The user is then the username claim plus `group:`s.
 */
export class OidcTokens {
  private keys?: Promise<ReturnType<typeof createRemoteJWKSet>>;

  constructor(readonly settings: OidcSettings) {}

  async verify(token: string): Promise<{ caller: Caller; expiresAt: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.jwks(), {
        issuer: this.settings.issuer,
        audience: this.settings.clientId,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 30,
      }));
    } catch (err) {
      if (err instanceof DomainError) throw err;
      if (err instanceof errors.JWTExpired)
        throw refused('the login has expired: run `dispatch login` again');
      if (err instanceof errors.JWTClaimValidationFailed)
        throw refused(`the ID token's ${err.claim} claim is not acceptable`);
      throw refused(`the ID token cannot be verified: ${(err as Error).message}`);
    }
    return { caller: this.callerOf(payload), expiresAt: (payload.exp as number) * 1000 };
  }

  /**
   * The user a token names, refused (UNAUTHENTICATED) when it could pass for someone else: an email the
   * provider has not verified (anyone may type any address at sign-up), or a name shaped like another
   * kind of subject (`org/account` is a service account, `group:x` a group, `*` everyone).
   */
  callerOf(claims: JWTPayload): Caller {
    const claim = this.settings.usernameClaim ?? 'email';
    const named = claims[claim];
    const user = typeof named === 'string' && named !== '' ? named : String(claims.sub ?? '');
    if (user === named && claim === 'email' && claims['email_verified'] !== true)
      throw refused(
        `the OpenID provider has not verified the email ${user}: verify it there, then log in again`,
      );
    if (
      user === '' ||
      user.includes('/') ||
      user.startsWith('group:') ||
      user === '*' ||
      user === BOOTSTRAP_SUBJECT
    )
      throw refused(
        `the user name ${JSON.stringify(user)} from the OpenID provider could pass for another subject (a service account, group or everyone): Dispatch takes no user named so`,
      );
    const groups = claims[this.settings.groupsClaim ?? 'groups'];
    return {
      kind: 'user',
      subjects: [
        user,
        ...(Array.isArray(groups)
          ? groups.filter((g) => typeof g === 'string').map((g) => `group:${g}`)
          : []),
      ],
    };
  }

  /** Discovered once; a provider that cannot be reached is asked again on the next token. */
  private jwks(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.keys ??= discovery(
      new URL(this.settings.issuer),
      this.settings.clientId,
      undefined,
      undefined,
      discoveryOptions(this.settings.issuer),
    ).then(
      (config) => {
        const uri = config.serverMetadata().jwks_uri;
        if (!uri) throw new Error('the provider publishes no jwks_uri');
        return createRemoteJWKSet(new URL(uri));
      },
      (err: unknown) => {
        this.keys = undefined;
        throw new DomainError(
          'UNAVAILABLE',
          `the OpenID provider ${this.settings.issuer} cannot be reached to verify the token: ${(err as Error).message}`,
        );
      },
    );
    return this.keys;
  }
}
