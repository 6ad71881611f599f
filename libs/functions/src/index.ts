export { FunctionsModule } from './lib/functions.module.js';
export type { FunctionsConfig } from './lib/functions.config.js';
export { SECRETS_RESOLVER, type SecretsResolver } from './lib/secrets/secrets-resolver.js';
