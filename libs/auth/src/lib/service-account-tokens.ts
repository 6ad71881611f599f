import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeJwt, errors, jwtVerify } from 'jose';
import { DomainError } from '@dispatch/contracts';

/** Where the verifier finds a service account's registered public key. */
export interface ServiceAccountKeys {
  publicKey(org: string, account: string): Promise<string | undefined>;
}

/**
 * The longest a service account's token may still live, from now: clients sign short-lived tokens, as
 * the original's. Counted from now rather than from `iat`, so a token cannot be made to live longer by
 * dating it ahead; the original CLI's tokens (`iat` a minute back, `exp` an hour on) pass.
 */
export const MAX_TOKEN_LIFETIME_S = 3600;
/** How far the signer's clock may be from ours. */
const CLOCK_TOLERANCE_S = 30;
const ISSUER = /^([\w-]+)\/([\w.-]+)$/;

/** What a verified service account token proves. */
export interface VerifiedToken {
  /** `<org>/<account>`, as policy rules name it. */
  subject: string;
  /** The org the account is registered in. */
  org: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Verifies a service account's token: a JWT signed with RS256 (nothing else, so neither `alg: none` nor a
 * key confusion gets through) by the private half of the public key registered for the account its `iss`
 * names (`<org>/<account>`), not expired, and issued for an hour at most. Each refusal is
 * UNAUTHENTICATED, saying which of these failed. Which orgs the token may act in is `checkOrg`'s.
 */
export class ServiceAccountTokens {
  private readonly keys = new Map<string, KeyObject>();

  constructor(private readonly accounts: ServiceAccountKeys) {}

  async verify(token: string): Promise<VerifiedToken> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw refused('the bearer token is not a JWT');
    }
    const match = typeof issuer === 'string' ? ISSUER.exec(issuer) : null;
    if (!match) throw refused('the token names no issuer of the form <organization>/<service account>');
    const [, tokenOrg, account] = match as unknown as [string, string, string];
    const pem = await this.accounts.publicKey(tokenOrg, account);
    if (!pem) throw refused(`there is no service account ${account} in organization ${tokenOrg}`);
    const expiresAt = await this.verifySigned(token, pem, issuer as string, `service account ${account}`);
    return { subject: issuer as string, org: tokenOrg, expiresAt };
  }

  /**
   * The checks every key-signed token of Dispatch passes (a service account's, the bootstrap
   * identity's): RS256 by `pem`'s private half, from `issuer`, not expired, not issued in the future,
   * and expiring within the hour. Gives the expiry in milliseconds since the epoch.
   */
  async verifySigned(token: string, pem: string, issuer: string, signer: string): Promise<number> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keyOf(pem), {
        algorithms: ['RS256'],
        issuer,
        requiredClaims: ['exp', 'iat'],
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (err) {
      throw refused(reasonOf(err, signer));
    }
    const now = Date.now() / 1000;
    const { iat, exp } = payload as { iat: number; exp: number };
    if (iat > now + CLOCK_TOLERANCE_S)
      throw refused(
        `the token is issued in the future (iat ${Math.round(iat - now)} s from now): check the signer's clock`,
      );
    if (exp - now > MAX_TOKEN_LIFETIME_S + CLOCK_TOLERANCE_S)
      throw refused(
        `the token expires more than ${MAX_TOKEN_LIFETIME_S / 60} minutes from now: sign a shorter-lived one`,
      );
    return exp * 1000;
  }

  /**
   * A service account acts in its own org. Elsewhere its token is no credential at all (401), unless a
   * global policy names the account: global policies are what let anything cross orgs.
   */
  static checkOrg(token: VerifiedToken, org: string, namedGlobally: (subject: string) => boolean): void {
    if (token.org !== org && !namedGlobally(token.subject))
      throw refused(`the token is for organization ${token.org}, and this request is for ${org}`);
  }

  private keyOf(pem: string): KeyObject {
    let key = this.keys.get(pem);
    if (!key) {
      key = createPublicKey(pemOf(pem));
      this.keys.set(pem, key);
    }
    return key;
  }
}

/** A PEM as given, or base64 of one (as the original CLI sends public keys). */
export function pemOf(text: string): string {
  return text.includes('-----BEGIN') ? text : Buffer.from(text, 'base64').toString('utf8');
}

function reasonOf(err: unknown, signer: string): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with RS256';
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return `the token's signature does not match ${signer}'s public key`;
  if (err instanceof errors.JWTClaimValidationFailed)
    return `the token's ${err.claim} claim is not acceptable`;
  return `the token cannot be verified: ${(err as Error).message}`;
}

export function refused(message: string): DomainError {
  return new DomainError('UNAUTHENTICATED', message);
}
