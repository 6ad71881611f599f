import type { DynamicModule, Type } from '@nestjs/common';

/**
 * The secrets service of the distributed shape: secrets, encrypted at rest. It lists the domain modules it hosts;
 * the platform (etcd store, Kafka bus, health, version) is added by `runDistributedService`.
 */
export const serviceModules: (Type | DynamicModule)[] = [];
