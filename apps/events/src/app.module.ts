import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { RemoteFunctionInvoker, RemoteSecretsResolver } from '@dispatch/api-client';
import { AccessModule, accessFromEnv, serviceClient } from '@dispatch/auth';
import { FUNCTION_INVOKER, SECRETS_RESOLVER } from '@dispatch/contracts';
import { EventsModule } from '@dispatch/events';
import { envTypes, parseEnv, type ServiceEnv } from '@dispatch/platform';

/**
 * The events service of the distributed shape: emitted events, subscriptions (consumers on Kafka) and
 * event drivers, running functions through the functions service's API and reading drivers' secrets
 * through the secrets service's. The platform (etcd store, Kafka
 * bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(env: ServiceEnv): (Type | DynamicModule)[] {
  const own = parseEnv(
    {
      DISPATCH_FUNCTIONS_URL: envTypes.url('http://127.0.0.1:8103'),
      DISPATCH_SECRETS_URL: envTypes.url('http://127.0.0.1:8104'),
      // The programs event-driver types may run, installed by an operator.
      DISPATCH_DRIVER_PROGRAMS: envTypes.optional(),
    },
    process.env,
  );
  @Global()
  @Module({
    providers: [
      serviceClient(
        FUNCTION_INVOKER,
        (token) => new RemoteFunctionInvoker(own.DISPATCH_FUNCTIONS_URL, token),
      ),
      // Event drivers' secrets.
      serviceClient(SECRETS_RESOLVER, (token) => new RemoteSecretsResolver(own.DISPATCH_SECRETS_URL, token)),
    ],
    exports: [FUNCTION_INVOKER, SECRETS_RESOLVER],
  })
  class RemoteFunctionsModule {}
  return [
    AccessModule.forRoot(accessFromEnv('events', { serviceIdentity: true })),
    RemoteFunctionsModule,
    EventsModule.forRoot({ dataDir: env.DISPATCH_DATA_DIR, driverPrograms: own.DISPATCH_DRIVER_PROGRAMS }),
  ];
}
