import { Module, type DynamicModule } from '@nestjs/common';
import { ApiProxyController } from './api-proxy.controller.js';
import { AssetsController } from './assets.controller.js';
import { CONSOLE_CONFIG, type ConsoleConfig } from './console.config.js';
import { ConsoleSessions } from './sessions.js';
import { SessionTokens } from './session-tokens.js';
import { SignInController } from './sign-in.controller.js';
import { SignInLinks } from './sign-in-links.js';

/**
 * The web console: its page at /ui, sign-in and sessions, and /ui/api, the page's way to the API with
 * the session's credential. Solo imports it; in the distributed shape a service of its own does.
 */
@Module({})
export class ConsoleModule {
  static forRoot(config: ConsoleConfig): DynamicModule {
    return {
      module: ConsoleModule,
      // The proxy and sign-in routes before the assets' catch-all, though Fastify's router would
      // prefer their fixed segments anyway.
      controllers: [SignInController, ApiProxyController, AssetsController],
      providers: [{ provide: CONSOLE_CONFIG, useValue: config }, ConsoleSessions, SessionTokens, SignInLinks],
      exports: [SignInLinks],
    };
  }
}
