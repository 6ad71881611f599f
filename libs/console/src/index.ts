export { ConsoleModule } from './lib/console.module.js';
export { SignInLinks } from './lib/sign-in-links.js';
export type { ConsoleConfig, LocalAdministrator } from './lib/console.config.js';
export { consoleConfigFromEnv, BUILT_CONSOLE } from './lib/console-env.js';
