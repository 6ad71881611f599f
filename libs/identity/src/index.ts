export { IdentityModule } from './lib/identity.module.js';
export { IDENTITY_CONFIG, identityConfigFromEnv, type IdentityConfig } from './lib/identity.config.js';
export { LocalAdmin, LOCAL_ADMIN } from './lib/local-admin.js';
export { LOGIN_SCOPES } from './lib/login-broker.js';
export { accessOfPath } from './lib/api-paths.js';
