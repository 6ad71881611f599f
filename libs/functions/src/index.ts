export { FunctionsModule } from './lib/functions.module.js';
export type { FunctionsConfig } from './lib/functions.config.js';
