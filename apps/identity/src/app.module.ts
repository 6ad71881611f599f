import type { DynamicModule, Type } from '@nestjs/common';
import { AccessModule, accessFromEnv } from '@dispatch/auth';
import { IdentityModule } from '@dispatch/identity';
import { envTypes, parseEnv, type ServiceEnv } from '@dispatch/platform';

/**
 * The identity service of the distributed shape: organisations, policies, service accounts, bootstrap
 * mode, the login broker and `/v1/iam/auth`. The platform (etcd store, Kafka bus, health, version) is
 * added by `runDistributedService`.
 */
export function serviceModules(_env: ServiceEnv): (Type | DynamicModule)[] {
  const access = accessFromEnv('identity');
  const { DISPATCH_BOOTSTRAP_PUBLIC_KEY } = parseEnv(
    { DISPATCH_BOOTSTRAP_PUBLIC_KEY: envTypes.optional() },
    process.env,
  );
  return [
    AccessModule.forRoot(access),
    IdentityModule.forRoot({ oidc: access.oidc, bootstrapPublicKey: DISPATCH_BOOTSTRAP_PUBLIC_KEY }),
  ];
}
