import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { ApiGatewayModule } from '@dispatch/api-gateway';
import { RemoteFunctionInvoker } from '@dispatch/api-client';
import { AccessModule, accessFromEnv, serviceClient } from '@dispatch/auth';
import { FUNCTION_INVOKER } from '@dispatch/contracts';
import { envTypes, parseEnv, type ServiceEnv } from '@dispatch/platform';

/**
 * The api-gateway service of the distributed shape: `/v1/endpoint` and the gateway serving endpoints
 * on their own ports, running functions through the functions service's API. The platform (etcd store,
 * Kafka bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(env: ServiceEnv): (Type | DynamicModule)[] {
  const own = parseEnv(
    {
      DISPATCH_FUNCTIONS_URL: envTypes.url('http://127.0.0.1:8103'),
      DISPATCH_GATEWAY_PORT: envTypes.port(8081),
      DISPATCH_GATEWAY_TLS_PORT: envTypes.port(8444),
      DISPATCH_TLS_CERT: envTypes.optional(),
      DISPATCH_TLS_KEY: envTypes.optional(),
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
    ],
    exports: [FUNCTION_INVOKER],
  })
  class RemoteFunctionsModule {}
  return [
    AccessModule.forRoot(accessFromEnv('api-gateway', { serviceIdentity: true })),
    RemoteFunctionsModule,
    ApiGatewayModule.forRoot({
      dataDir: env.DISPATCH_DATA_DIR,
      host: env.DISPATCH_HOST,
      port: own.DISPATCH_GATEWAY_PORT,
      tlsPort: own.DISPATCH_GATEWAY_TLS_PORT,
      tlsCert: own.DISPATCH_TLS_CERT,
      tlsKey: own.DISPATCH_TLS_KEY,
    }),
  ];
}
