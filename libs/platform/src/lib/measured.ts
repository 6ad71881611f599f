import { Histogram, type Registry } from 'prom-client';
import type { Entity } from '@dispatch/contracts';
import type {
  DeleteOptions,
  EntityRef,
  EntityStore,
  EntityUpdate,
  ListQuery,
  NewEntity,
  WriteOptions,
} from '@dispatch/entity-store';
import type { MessageBus, OutgoingMessage, SubscribeOptions, Subscription } from '@dispatch/messaging';
import { LATENCY_BUCKETS } from './metrics.js';
import { DelegatingEntityStore } from './store-decorator.js';

type Timer = Histogram<'operation' | 'outcome'>;

/** Times `work` under `operation`, its outcome `ok` or `error` (a store's NOT_FOUND included). */
function timed<T>(histogram: Timer, operation: string, work: Promise<T>): Promise<T> {
  const end = histogram.startTimer({ operation });
  return work.then(
    (value) => {
      end({ outcome: 'ok' });
      return value;
    },
    (err: unknown) => {
      end({ outcome: 'error' });
      throw err;
    },
  );
}

/**
 * The entity store with the latency of each request to it (`dispatch_store_operation_duration_seconds`
 * by operation and outcome): reads, writes and the revision. Watches, locks and leases last, and are
 * not requests.
 */
export class MeasuredEntityStore extends DelegatingEntityStore {
  private readonly duration: Timer;

  constructor(store: EntityStore, registry: Registry) {
    super(store);
    this.duration = new Histogram({
      name: 'dispatch_store_operation_duration_seconds',
      help: 'How long requests to the entity store took, by operation and outcome (ok or error).',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
  }

  override get<S = Record<string, unknown>>(ref: EntityRef): Promise<Entity<S>> {
    return timed(this.duration, 'get', this.store.get<S>(ref));
  }

  override list<S = Record<string, unknown>>(query: ListQuery): Promise<Entity<S>[]> {
    return timed(this.duration, 'list', this.store.list<S>(query));
  }

  override create<S = Record<string, unknown>>(
    entity: NewEntity<S>,
    options?: WriteOptions,
  ): Promise<Entity<S>> {
    return timed(this.duration, 'create', this.store.create(entity, options));
  }

  override update<S = Record<string, unknown>>(
    entity: EntityUpdate<S>,
    options?: WriteOptions,
  ): Promise<Entity<S>> {
    return timed(this.duration, 'update', this.store.update(entity, options));
  }

  override delete(ref: EntityRef, options?: DeleteOptions): Promise<void> {
    return timed(this.duration, 'delete', this.store.delete(ref, options));
  }

  override revision(): Promise<number> {
    return timed(this.duration, 'revision', this.store.revision());
  }
}

/**
 * The message bus with the latency of each publish until the bus has accepted it (Kafka: the broker's
 * acknowledgement), `dispatch_bus_publish_duration_seconds` by outcome.
 */
export class MeasuredMessageBus implements MessageBus {
  private readonly duration: Timer;

  constructor(
    private readonly bus: MessageBus,
    registry: Registry,
  ) {
    this.duration = new Histogram({
      name: 'dispatch_bus_publish_duration_seconds',
      help: 'How long publishing to the message bus took until it was accepted, by outcome (ok or error).',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
  }

  publish<T>(topic: string, messages: OutgoingMessage<T>[]): Promise<void> {
    return timed(this.duration, 'publish', this.bus.publish(topic, messages));
  }

  subscribe<T>(options: SubscribeOptions<T>): Promise<Subscription> {
    return this.bus.subscribe(options);
  }

  lag(group: string, topics: string[]): Promise<number> {
    return this.bus.lag(group, topics);
  }

  ping(): Promise<void> {
    return this.bus.ping();
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}
