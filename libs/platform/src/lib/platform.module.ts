import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import {
  ENTITY_STORE,
  EntityStoreModule,
  type EntityStore,
  type StoreDecorator,
} from '@dispatch/entity-store';
import { MESSAGE_BUS, MessageBusModule, type BusDecorator, type MessageBus } from '@dispatch/messaging';
import type { Registry } from 'prom-client';
import { PublishingEntityStore } from './domain-events.js';
import { HealthModule, type HealthCheckFactory } from './health.js';
import { MeasuredEntityStore, MeasuredMessageBus } from './measured.js';
import { METRICS_REGISTRY, MetricsModule, soloMetricsToken } from './metrics.js';
import { VersionModule } from './version.js';
import { WatchesModule } from './crud/entity-watches.js';

export interface SoloPlatformConfig {
  dataDir: string;
  /** Prometheus metrics (on unless false): counted, and served with the data directory's token. */
  metrics?: boolean;
}

export interface DistributedPlatformConfig {
  /** The service's name, reported by /v1/version and used as the Kafka client id. */
  service: string;
  etcdEndpoints: string[];
  /** A key prefix of this installation's in a shared etcd. */
  etcdNamespace?: string;
  kafkaBrokers: string[];
  /** The bearer a Prometheus scraper sends for /metrics; without one, metrics are off. */
  metricsToken?: string;
}

/**
 * Every write of an owned kind is announced on the bus as a domain event (see domain-events.ts), and
 * every request to the store is timed (measured.ts).
 */
const publishing: StoreDecorator = {
  inject: [MESSAGE_BUS, METRICS_REGISTRY],
  wrap: (store: EntityStore, bus: MessageBus, registry: Registry | undefined) =>
    new PublishingEntityStore(registry ? new MeasuredEntityStore(store, registry) : store, bus),
};

/** Every publish to the bus is timed. */
const measuredBus: BusDecorator = {
  inject: [METRICS_REGISTRY],
  wrap: (bus: MessageBus, registry: Registry | undefined) =>
    registry ? new MeasuredMessageBus(bus, registry) : bus,
};

const checks: HealthCheckFactory[] = [
  { name: 'entity-store', inject: ENTITY_STORE, ping: (store: EntityStore) => store.ping() },
  { name: 'message-bus', inject: MESSAGE_BUS, ping: (bus: MessageBus) => bus.ping() },
];

/**
 * What every process of Dispatch stands on: the entity store, the message bus, health, version and
 * metrics.
 * The two shapes differ only here; domain modules inject `ENTITY_STORE` and `MESSAGE_BUS` and run the
 * same in both.
 */
@Module({})
export class PlatformModule {
  static solo(config: SoloPlatformConfig): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        EntityStoreModule.forRoot({ type: 'embedded', dataDir: join(config.dataDir, 'store') }, publishing),
        MessageBusModule.forRoot({ type: 'in-process' }, measuredBus),
        HealthModule.forRoot(checks),
        VersionModule.forRoot('solo'),
        WatchesModule,
        MetricsModule.forRoot({
          service: 'solo',
          token: config.metrics === false ? undefined : soloMetricsToken(config.dataDir),
        }),
      ],
    };
  }

  static distributed(config: DistributedPlatformConfig): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        EntityStoreModule.forRoot(
          {
            type: 'etcd',
            endpoints: config.etcdEndpoints,
            namespace: config.etcdNamespace,
          },
          publishing,
        ),
        MessageBusModule.forRoot(
          { type: 'kafka', brokers: config.kafkaBrokers, clientId: config.service },
          measuredBus,
        ),
        HealthModule.forRoot(checks),
        VersionModule.forRoot(config.service),
        WatchesModule,
        MetricsModule.forRoot({ service: config.service, token: config.metricsToken }),
      ],
    };
  }
}
