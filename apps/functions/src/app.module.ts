import type { DynamicModule, Type } from '@nestjs/common';
import { FunctionsModule } from '@dispatch/functions';
import type { ServiceEnv } from '@dispatch/platform';

/**
 * The functions service of the distributed shape: functions, their runtimes and runs. The platform
 * (etcd store, Kafka bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(env: ServiceEnv): (Type | DynamicModule)[] {
  return [FunctionsModule.forRoot({ dataDir: env.DISPATCH_DATA_DIR })];
}
