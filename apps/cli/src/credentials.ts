import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import type { CliContext } from '@dispatch/api-client';
import { DomainError } from '@dispatch/contracts';
import type { GlobalOptions } from './cli-context.js';

/** Service account tokens the CLI signs live this long: one command's worth, with room for a slow build. */
const SIGNED_TOKEN_LIFETIME_S = 10 * 60;
/** An ID token this close to expiry is refreshed before use. */
const REFRESH_MARGIN_S = 60;

/**
 * Where a command's bearer token comes from, by what the context holds: a fixed token, a service account
 * key to sign a short-lived token with (once per command), or an OpenID login, refreshed through the
 * login broker when about to expire and saved back to the config. No credential: calls go without one.
 */
export function credentialFor(
  context: CliContext,
  options: GlobalOptions,
): (() => Promise<string | undefined>) | undefined {
  if (context.token) return async () => context.token;
  if (context.serviceAccount && context.jwtPrivateKey) {
    const { serviceAccount, jwtPrivateKey } = context;
    let signed: Promise<string> | undefined;
    return () => (signed ??= signServiceAccountToken(serviceAccount, jwtPrivateKey));
  }
  if (context.session) {
    let current: Promise<string> | undefined;
    return () => (current ??= freshIdToken(context, options));
  }
  return undefined;
}

export async function signServiceAccountToken(serviceAccount: string, keyFile: string): Promise<string> {
  let key;
  try {
    key = createPrivateKey(readFileSync(keyFile, 'utf8'));
  } catch (err) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `cannot use ${keyFile} as the private key of service account ${serviceAccount}: ${(err as Error).message}`,
    );
  }
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(serviceAccount)
    .setIssuedAt()
    .setExpirationTime(`${SIGNED_TOKEN_LIFETIME_S}s`)
    .sign(key);
}

async function freshIdToken(context: CliContext, options: GlobalOptions): Promise<string> {
  const session = context.session as NonNullable<CliContext['session']>;
  if (session.expiresAt - REFRESH_MARGIN_S > Date.now() / 1000) return session.idToken;
  if (!session.refreshToken)
    throw new DomainError('UNAUTHENTICATED', 'the login has expired: run `dispatch login` again');
  // Imported here: only a command with an expiring login pays for the client and the config writer.
  const { refreshSession } = await import('./commands/login/session.js');
  return (await refreshSession(context, options)).idToken;
}
