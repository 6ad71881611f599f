import type { DynamicModule, Type } from '@nestjs/common';
import { ApiGatewayModule } from '@dispatch/api-gateway';
import { AccessModule, accessFromEnv, RemotePortsModule } from '@dispatch/auth';
import { GATEWAY_PORTS } from '@dispatch/contracts';
import { envTypes, parseEnv, type ServiceEnv } from '@dispatch/platform';

/**
 * The api-gateway service of the distributed shape: `/v1/endpoint` and the gateway serving endpoints
 * on their own ports, running functions through the functions service's API. The platform (etcd store,
 * Kafka bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(env: ServiceEnv): (Type | DynamicModule)[] {
  const own = parseEnv(
    {
      DISPATCH_GATEWAY_PORT: envTypes.port(GATEWAY_PORTS.http),
      DISPATCH_GATEWAY_TLS_PORT: envTypes.port(GATEWAY_PORTS.https),
      DISPATCH_TLS_CERT: envTypes.optional(),
      DISPATCH_TLS_KEY: envTypes.optional(),
    },
    process.env,
  );
  return [
    AccessModule.forRoot(accessFromEnv('api-gateway', { serviceIdentity: true })),
    RemotePortsModule.forRoot({ service: 'api-gateway' }),
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
