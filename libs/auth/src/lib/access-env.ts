import { ConfigError, envTypes, parseEnv } from '@dispatch/platform';
import type { AccessConfig } from './access-control.js';
import type { OidcSettings } from './oidc-tokens.js';

/** The OpenID provider settings every process reads: the guard verifies, identity also signs users in. */
export function oidcFromEnv(env: NodeJS.ProcessEnv = process.env): OidcSettings | undefined {
  const read = parseEnv(
    {
      DISPATCH_OIDC_ISSUER: envTypes.optional(),
      DISPATCH_OIDC_CLIENT_ID: envTypes.optional(),
      DISPATCH_OIDC_CLIENT_SECRET: envTypes.optional(),
      DISPATCH_OIDC_USERNAME_CLAIM: envTypes.optional(),
      DISPATCH_OIDC_GROUPS_CLAIM: envTypes.optional(),
    },
    env,
  );
  if (!read.DISPATCH_OIDC_ISSUER) return undefined;
  if (!URL.canParse(read.DISPATCH_OIDC_ISSUER))
    throw new ConfigError(
      `DISPATCH_OIDC_ISSUER: must be the provider's URL (got ${read.DISPATCH_OIDC_ISSUER})`,
    );
  if (!read.DISPATCH_OIDC_CLIENT_ID)
    throw new ConfigError('DISPATCH_OIDC_CLIENT_ID: required with DISPATCH_OIDC_ISSUER');
  return {
    issuer: read.DISPATCH_OIDC_ISSUER,
    clientId: read.DISPATCH_OIDC_CLIENT_ID,
    clientSecret: read.DISPATCH_OIDC_CLIENT_SECRET,
    usernameClaim: read.DISPATCH_OIDC_USERNAME_CLAIM,
    groupsClaim: read.DISPATCH_OIDC_GROUPS_CLAIM,
  };
}

/** A distributed service's access configuration: its name, whether it calls others, the provider. */
export function accessFromEnv(
  service: string,
  options: { serviceIdentity?: boolean } = {},
  env: NodeJS.ProcessEnv = process.env,
): AccessConfig {
  return { service, serviceIdentity: options.serviceIdentity, oidc: oidcFromEnv(env) };
}
