import type { DynamicModule, Type } from '@nestjs/common';
import { AccessModule, accessFromEnv } from '@dispatch/auth';
import type { ServiceEnv } from '@dispatch/platform';
import { SecretsModule, secretsConfigFromEnv } from '@dispatch/secrets';

/**
 * The secrets service of the distributed shape: secrets, sealed at rest. Every replica needs the same
 * DISPATCH_SECRETS_KEY; without one a key is generated into this service's data directory. The
 * platform (etcd store, Kafka bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(env: ServiceEnv): (Type | DynamicModule)[] {
  return [
    AccessModule.forRoot(accessFromEnv('secrets')),
    SecretsModule.forRoot({ dataDir: env.DISPATCH_DATA_DIR, ...secretsConfigFromEnv() }),
  ];
}
