import type { DynamicModule, Type } from '@nestjs/common';

/**
 * The functions service of the distributed shape: functions, their runtimes and runs. It lists the domain modules it hosts;
 * the platform (etcd store, Kafka bus, health, version) is added by `runDistributedService`.
 */
export const serviceModules: (Type | DynamicModule)[] = [];
