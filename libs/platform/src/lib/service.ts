import { homedir } from 'node:os';
import { join } from 'node:path';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { TOPOLOGY, type ServiceName } from '@dispatch/contracts';
import { envTypes, parseEnv } from './env.js';
import { runMain, startHttpServer } from './http-server.js';
import { PlatformModule } from './platform.module.js';

export interface DistributedServiceSpec {
  /** e.g. `functions`: reported by /v1/version, used as the Kafka client id; its port is the table's. */
  service: ServiceName;
  /** The domain modules this service hosts, given its configuration. */
  modules: (env: ServiceEnv) => (Type | DynamicModule)[];
}

/** The configuration every distributed service reads, with defaults for a laptop cluster. */
export function serviceEnv(defaultPort: number, env: NodeJS.ProcessEnv = process.env) {
  return parseEnv(
    {
      DISPATCH_HOST: envTypes.host('127.0.0.1'),
      DISPATCH_PORT: envTypes.port(defaultPort),
      DISPATCH_ETCD_ENDPOINTS: envTypes.list('http://127.0.0.1:2379'),
      DISPATCH_ETCD_NAMESPACE: envTypes.optional(),
      DISPATCH_KAFKA_BROKERS: envTypes.list('127.0.0.1:9092'),
      DISPATCH_DATA_DIR: envTypes.path(join(homedir(), '.dispatch', 'services')),
      // On SIGTERM, how long a pod reports not ready before it closes (the chart sets it).
      DISPATCH_SHUTDOWN_DELAY_MS: envTypes.milliseconds(0, 60_000),
      // The bearer a Prometheus scraper sends for /metrics (the chart makes one); unset, metrics are off.
      DISPATCH_METRICS_TOKEN: envTypes.optional(),
      // Log lines as JSON objects or as text; unset, text on a terminal and JSON otherwise.
      DISPATCH_LOG_FORMAT: envTypes.oneOf(['json', 'text']),
    },
    env,
  );
}

export type ServiceEnv = ReturnType<typeof serviceEnv>;

/** Boots one service of the distributed shape: its domain modules over etcd and Kafka. */
export function runDistributedService(spec: DistributedServiceSpec): void {
  runMain(spec.service, async () => {
    const env = serviceEnv(TOPOLOGY[spec.service].port);
    @Module({
      imports: [
        PlatformModule.distributed({
          service: spec.service,
          etcdEndpoints: env.DISPATCH_ETCD_ENDPOINTS,
          etcdNamespace: env.DISPATCH_ETCD_NAMESPACE,
          kafkaBrokers: env.DISPATCH_KAFKA_BROKERS,
          metricsToken: env.DISPATCH_METRICS_TOKEN,
        }),
        ...spec.modules(env),
      ],
    })
    class ServiceModule {}
    await startHttpServer({
      module: ServiceModule,
      name: spec.service,
      host: env.DISPATCH_HOST,
      port: env.DISPATCH_PORT,
      shutdownDelayMs: env.DISPATCH_SHUTDOWN_DELAY_MS,
    });
    console.log(
      `${spec.service}: ` +
        `listening on http://${env.DISPATCH_HOST}:${env.DISPATCH_PORT} (etcd ${env.DISPATCH_ETCD_ENDPOINTS.join(',')}, kafka ${env.DISPATCH_KAFKA_BROKERS.join(',')})`,
    );
  });
}
