export { PolicyEngine, type AccessRequest, type Decision, type PolicyEntry } from './lib/policy-engine.js';
export {
  ServiceAccountTokens,
  MAX_TOKEN_LIFETIME_S,
  pemOf,
  type ServiceAccountKeys,
  type VerifiedToken,
} from './lib/service-account-tokens.js';
export { OidcTokens, discoveryOptions, type OidcSettings } from './lib/oidc-tokens.js';
export { AccessControl, ACCESS_CONFIG, type AccessConfig, type AccessCheck } from './lib/access-control.js';
export { AccessGuard } from './lib/access.guard.js';
export { AuthenticateFirst } from './lib/authenticate-first.js';
export { AccessModule } from './lib/access.module.js';
export { ServiceIdentity } from './lib/service-identity.js';
export { oidcFromEnv, accessFromEnv } from './lib/access-env.js';
export { serviceClient } from './lib/service-client.js';
export { RemotePortsModule, type RemotePortsOptions } from './lib/remote-ports.module.js';
