import type { DynamicModule, Type } from '@nestjs/common';
import type { ServiceEnv } from '@dispatch/platform';

/**
 * The events service of the distributed shape: emitted events, subscriptions and event drivers. It lists the domain modules it hosts;
 * the platform (etcd store, Kafka bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(_env: ServiceEnv): (Type | DynamicModule)[] {
  return [];
}
