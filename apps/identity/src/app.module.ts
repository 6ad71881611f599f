import type { DynamicModule, Type } from '@nestjs/common';
import { AccessModule, accessFromEnv } from '@dispatch/auth';
import { IdentityModule, identityConfigFromEnv } from '@dispatch/identity';
import type { ServiceEnv } from '@dispatch/platform';

/**
 * The identity service of the distributed shape: organisations, policies, service accounts, bootstrap
 * mode, the login broker and `/v1/iam/auth`. The platform (etcd store, Kafka bus, health, version) is
 * added by `runDistributedService`.
 */
export function serviceModules(_env: ServiceEnv): (Type | DynamicModule)[] {
  const access = accessFromEnv('identity');
  return [
    AccessModule.forRoot(access),
    IdentityModule.forRoot({ oidc: access.oidc, ...identityConfigFromEnv() }),
  ];
}
