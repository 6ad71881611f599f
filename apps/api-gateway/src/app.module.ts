import type { DynamicModule, Type } from '@nestjs/common';
import { ApiGatewayModule, gatewayConfigFromEnv } from '@dispatch/api-gateway';
import { AccessModule, accessFromEnv, RemotePortsModule } from '@dispatch/auth';
import { ConsoleModule, consoleConfigFromEnv } from '@dispatch/console';
import type { ServiceEnv } from '@dispatch/platform';

/**
 * The api-gateway service of the distributed shape: `/v1/endpoint` and the gateway serving endpoints
 * on their own ports, running functions through the functions service's API, and the web console.
 * The platform (etcd store,
 * Kafka bus, health, version) is added by `runDistributedService`.
 */
export function serviceModules(env: ServiceEnv): (Type | DynamicModule)[] {
  return [
    AccessModule.forRoot(accessFromEnv('api-gateway', { serviceIdentity: true })),
    RemotePortsModule.forRoot({ service: 'api-gateway' }),
    ApiGatewayModule.forRoot({
      dataDir: env.DISPATCH_DATA_DIR,
      host: env.DISPATCH_HOST,
      ...gatewayConfigFromEnv(),
    }),
    // The web console at /ui: behind the ingress, the endpoints' host is its own.
    ConsoleModule.forRoot(consoleConfigFromEnv()),
  ];
}
