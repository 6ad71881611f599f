import type { DynamicModule, Type } from '@nestjs/common';

/**
 * The images service of the distributed shape: base images and images, and their builds. It lists the domain modules it hosts;
 * the platform (etcd store, Kafka bus, health, version) is added by `runDistributedService`.
 */
export const serviceModules: (Type | DynamicModule)[] = [];
