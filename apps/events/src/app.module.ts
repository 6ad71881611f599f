import type { DynamicModule, Type } from '@nestjs/common';

/**
 * The events service of the distributed shape: emitted events, subscriptions and event drivers. It lists the domain modules it hosts;
 * the platform (etcd store, Kafka bus, health, version) is added by `runDistributedService`.
 */
export const serviceModules: (Type | DynamicModule)[] = [];
