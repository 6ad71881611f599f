import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { ApiProxyController } from './api-proxy.controller.js';
import { AssetsController } from './assets.controller.js';
import { CONSOLE_CONFIG, type ConsoleConfig } from './console.config.js';
import { memoryRecords, storeRecords } from './console-records.js';
import { ConsoleSessions, LOGIN_RECORDS, SESSION_IDLE_MS, SESSION_RECORDS } from './sessions.js';
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
      providers: [
        { provide: CONSOLE_CONFIG, useValue: config },
        records(SESSION_RECORDS, 'console-session', config),
        records(LOGIN_RECORDS, 'console-login', config),
        ConsoleSessions,
        SessionTokens,
        SignInLinks,
      ],
      exports: [SignInLinks],
    };
  }
}

/** In memory, at most 10,000 (no number of sign-ins grows the process without end), or in the store. */
function records(token: symbol, kind: string, config: ConsoleConfig): Provider {
  if (config.sessions === 'store')
    return {
      provide: token,
      inject: [ENTITY_STORE],
      useFactory: (store: EntityStore) => storeRecords(store, kind),
    };
  return { provide: token, useValue: memoryRecords(10_000, SESSION_IDLE_MS) };
}
