export { FunctionsModule } from './lib/functions.module.js';
export type { FunctionsConfig } from './lib/functions.config.js';
export { RemoteSecretsResolver } from './lib/secrets/remote-secrets-resolver.js';
