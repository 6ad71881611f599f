import type { DynamicModule, Type } from '@nestjs/common';
import type { SecretsResolver } from '@dispatch/contracts';
import { AccessModule, accessFromEnv, RemotePortsModule } from '@dispatch/auth';
import {
  CachedSecretsResolver,
  FunctionsModule,
  functionsConfigFromEnv,
  runJournalFromEnv,
} from '@dispatch/functions';
import { MESSAGE_BUS, type MessageBus } from '@dispatch/messaging';
import type { ServiceEnv } from '@dispatch/platform';

/**
 * The functions service of the distributed shape: functions, their runtimes and runs (recorded in
 * PostgreSQL, shared by every replica), with secrets from the secrets service's API. The platform
 * (etcd store, Kafka bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(env: ServiceEnv): (Type | DynamicModule)[] {
  return [
    AccessModule.forRoot(accessFromEnv('functions', { serviceIdentity: true })),
    RemotePortsModule.forRoot({
      service: 'functions',
      // Runs read secrets through a cache the secrets service's domain events keep current.
      wrapSecrets: {
        inject: [MESSAGE_BUS],
        wrap: (remote: SecretsResolver, bus: MessageBus) => new CachedSecretsResolver(remote, bus),
      },
    }),
    FunctionsModule.forRoot({
      dataDir: env.DISPATCH_DATA_DIR,
      runChannel: true,
      replicated: true,
      ...runJournalFromEnv(),
      ...functionsConfigFromEnv(),
    }),
  ];
}
