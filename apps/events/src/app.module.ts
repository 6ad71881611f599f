import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { RemoteFunctionInvoker } from '@dispatch/api-client';
import { FUNCTION_INVOKER } from '@dispatch/contracts';
import { EventsModule } from '@dispatch/events';
import { envTypes, parseEnv, type ServiceEnv } from '@dispatch/platform';

/**
 * The events service of the distributed shape: emitted events, subscriptions (consumers on Kafka) and
 * event drivers, running functions through the functions service's API. The platform (etcd store, Kafka
 * bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(_env: ServiceEnv): (Type | DynamicModule)[] {
  const own = parseEnv({ DISPATCH_FUNCTIONS_URL: envTypes.url('http://127.0.0.1:8103') }, process.env);
  @Global()
  @Module({
    providers: [
      { provide: FUNCTION_INVOKER, useValue: new RemoteFunctionInvoker(own.DISPATCH_FUNCTIONS_URL) },
    ],
    exports: [FUNCTION_INVOKER],
  })
  class RemoteFunctionsModule {}
  return [RemoteFunctionsModule, EventsModule.forRoot()];
}
