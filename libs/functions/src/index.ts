export { FunctionsModule } from './lib/functions.module.js';
export type { FunctionsConfig } from './lib/functions.config.js';
export { CachedSecretsResolver } from './lib/secrets/cached-secrets-resolver.js';
export { functionsConfigFromEnv, runJournalFromEnv, runLogLimitFromEnv } from './lib/functions-env.js';
