import type { OidcSettings } from '@dispatch/auth';
import { envTypes, parseEnv } from '@dispatch/platform';

export const IDENTITY_CONFIG = Symbol('IDENTITY_CONFIG');

export interface IdentityConfig {
  /** The OpenID provider the login broker signs users in with (its client secret included). */
  oidc?: OidcSettings;
  /** A fresh installation's bootstrap identity: PEM of an RSA public key, or base64 of it. */
  bootstrapPublicKey?: string;
}

/** The identity domain's own settings from the environment (the OpenID provider is access control's). */
export function identityConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<IdentityConfig, 'bootstrapPublicKey'> {
  const { DISPATCH_BOOTSTRAP_PUBLIC_KEY } = parseEnv(
    { DISPATCH_BOOTSTRAP_PUBLIC_KEY: envTypes.optional() },
    env,
  );
  return { bootstrapPublicKey: DISPATCH_BOOTSTRAP_PUBLIC_KEY };
}
