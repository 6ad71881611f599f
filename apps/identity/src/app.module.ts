import type { DynamicModule, Type } from '@nestjs/common';
import type { ServiceEnv } from '@dispatch/platform';

/**
 * The identity service of the distributed shape: organisations, policies, service accounts and login. It lists the domain modules it hosts;
 * the platform (etcd store, Kafka bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(_env: ServiceEnv): (Type | DynamicModule)[] {
  return [];
}
