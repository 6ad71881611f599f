import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { SECRETS_RESOLVER } from '@dispatch/contracts';
import { RemoteSecretsResolver } from '@dispatch/api-client';
import { AccessModule, accessFromEnv, serviceClient } from '@dispatch/auth';
import { FunctionsModule } from '@dispatch/functions';
import { envTypes, parseEnv, type ServiceEnv } from '@dispatch/platform';

/**
 * The functions service of the distributed shape: functions, their runtimes and runs (recorded in the
 * entity store, shared by every replica), with secrets from the secrets service's API. The platform
 * (etcd store, Kafka bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(env: ServiceEnv): (Type | DynamicModule)[] {
  const { DISPATCH_SECRETS_URL } = parseEnv(
    { DISPATCH_SECRETS_URL: envTypes.url('http://127.0.0.1:8104') },
    process.env,
  );
  @Global()
  @Module({
    providers: [
      serviceClient(SECRETS_RESOLVER, (token) => new RemoteSecretsResolver(DISPATCH_SECRETS_URL, token)),
    ],
    exports: [SECRETS_RESOLVER],
  })
  class RemoteSecretsModule {}
  return [
    AccessModule.forRoot(accessFromEnv('functions', { serviceIdentity: true })),
    RemoteSecretsModule,
    FunctionsModule.forRoot({ dataDir: env.DISPATCH_DATA_DIR, runJournal: 'store' }),
  ];
}
