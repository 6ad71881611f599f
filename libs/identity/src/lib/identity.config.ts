import type { OidcSettings } from '@dispatch/auth';

export const IDENTITY_CONFIG = Symbol('IDENTITY_CONFIG');

export interface IdentityConfig {
  /** The OpenID provider the login broker signs users in with (its client secret included). */
  oidc?: OidcSettings;
  /** A fresh installation's bootstrap identity: PEM of an RSA public key, or base64 of it. */
  bootstrapPublicKey?: string;
}
