import type { DynamicModule, Type } from '@nestjs/common';
import { AccessModule, accessFromEnv } from '@dispatch/auth';
import { ImagesModule } from '@dispatch/images';
import type { ServiceEnv } from '@dispatch/platform';

/**
 * The images service of the distributed shape: base images and images, and their builds. The platform
 * (etcd store, Kafka bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(env: ServiceEnv): (Type | DynamicModule)[] {
  return [
    AccessModule.forRoot(accessFromEnv('images')),
    ImagesModule.forRoot({ dataDir: env.DISPATCH_DATA_DIR }),
  ];
}
