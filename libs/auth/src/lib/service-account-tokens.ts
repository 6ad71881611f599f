import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeJwt, errors, jwtVerify } from 'jose';
import { DomainError } from '@dispatch/contracts';

/** Where the verifier finds a service account's registered public key. */
export interface ServiceAccountKeys {
  publicKey(org: string, account: string): Promise<string | undefined>;
}

/** The longest a service account's token may live: clients sign short-lived tokens, as the original's. */
export const MAX_TOKEN_LIFETIME_S = 3600;
const CLOCK_TOLERANCE_S = 30;
const ISSUER = /^([\w-]+)\/([\w.-]+)$/;

/**
 * Verifies a service account's token: a JWT signed with RS256 (nothing else, so neither `alg: none` nor a
 * key confusion gets through) by the private half of the public key registered for the account its `iss`
 * names (`<org>/<account>`), in the org the request is for, not expired, and issued for an hour at most.
 * Each refusal is UNAUTHENTICATED, saying which of these failed.
 */
export class ServiceAccountTokens {
  private readonly keys = new Map<string, KeyObject>();

  constructor(private readonly accounts: ServiceAccountKeys) {}

  /** The subject the token proves: `<org>/<account>`. */
  async verify(token: string, org: string): Promise<string> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw refused('the bearer token is not a JWT');
    }
    const match = typeof issuer === 'string' ? ISSUER.exec(issuer) : null;
    if (!match) throw refused('the token names no issuer of the form <organization>/<service account>');
    const [, tokenOrg, account] = match as unknown as [string, string, string];
    if (tokenOrg !== org)
      throw refused(`the token is for organization ${tokenOrg}, and this request is for ${org}`);
    const pem = await this.accounts.publicKey(tokenOrg, account);
    if (!pem) throw refused(`there is no service account ${account} in organization ${tokenOrg}`);
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keyOf(pem), {
        algorithms: ['RS256'],
        issuer: issuer as string,
        requiredClaims: ['exp', 'iat'],
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (err) {
      throw refused(reasonOf(err, account));
    }
    if ((payload.exp as number) - (payload.iat as number) > MAX_TOKEN_LIFETIME_S)
      throw refused(
        `the token is issued for more than ${MAX_TOKEN_LIFETIME_S / 60} minutes: sign a shorter-lived one`,
      );
    return issuer as string;
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
function pemOf(text: string): string {
  return text.includes('-----BEGIN') ? text : Buffer.from(text, 'base64').toString('utf8');
}

function reasonOf(err: unknown, account: string): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with RS256';
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return `the token's signature does not match service account ${account}'s public key`;
  if (err instanceof errors.JWTClaimValidationFailed)
    return `the token's ${err.claim} claim is not acceptable`;
  return `the token cannot be verified: ${(err as Error).message}`;
}

function refused(message: string): DomainError {
  return new DomainError('UNAUTHENTICATED', message);
}
