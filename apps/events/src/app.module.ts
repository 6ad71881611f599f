import type { DynamicModule, Type } from '@nestjs/common';
import { AccessModule, accessFromEnv, RemotePortsModule } from '@dispatch/auth';
import { EventsModule, eventsConfigFromEnv } from '@dispatch/events';
import type { ServiceEnv } from '@dispatch/platform';

/**
 * The events service of the distributed shape: emitted events, subscriptions (consumers on Kafka) and
 * event drivers, running functions through the functions service's API and reading drivers' secrets
 * through the secrets service's. The platform (etcd store, Kafka bus, health, version) is added by
 * `runDistributedService`.
 */
export function serviceModules(env: ServiceEnv): (Type | DynamicModule)[] {
  return [
    AccessModule.forRoot(accessFromEnv('events', { serviceIdentity: true })),
    RemotePortsModule.forRoot({ service: 'events' }),
    EventsModule.forRoot({ dataDir: env.DISPATCH_DATA_DIR, ...eventsConfigFromEnv() }),
  ];
}
