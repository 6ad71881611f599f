import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  DomainError,
  SUBSCRIPTION_KIND,
  type Entity,
  type EventEnvelope,
  type SubscriptionSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { MESSAGE_BUS, type MessageBus, type Subscription as BusSubscription } from '@dispatch/messaging';
import { EntityCache } from '@dispatch/platform';
import { Deliverer } from '../delivery/deliverer.js';
import { groupOf, topicOf } from '../topics.js';

const RETRY_MAX_MS = 30_000;

/** One subscription's consumer on the bus. */
interface Consumer {
  /** The newest version of the subscription: deliveries use its function and secrets. */
  entity: Entity<SubscriptionSpec>;
  /** What the consumer reads: a change means a new consumer. */
  topic: string;
  bus?: BusSubscription;
  stopped: boolean;
  retryMs: number;
  timer?: NodeJS.Timeout;
}

const keyOf = (e: Entity<unknown>) => `${e.org}/${e.project}/${e.name}`;

/**
 * Keeps one bus consumer per subscription, following the stored subscriptions through their watch: a
 * new one starts consuming its org's topic for its event type (as a consumer group of its own), a
 * changed event type moves it to the new topic, a deleted one stops. A subscription is READY once its
 * consumer is live; while the bus cannot be reached it is ERROR, saying so, and retried with backoff.
 * Every events service replica runs one, and the bus shares each group's messages among them.
 */
@Injectable()
export class SubscriptionManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('subscriptions');
  private readonly cache: EntityCache<SubscriptionSpec>;
  private readonly consumers = new Map<string, Consumer>();

  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly deliverer: Deliverer,
  ) {
    this.cache = new EntityCache<SubscriptionSpec>({
      name: 'subscription',
      store,
      kind: SUBSCRIPTION_KIND,
      onChange: () => this.sync(),
    });
  }

  onApplicationBootstrap(): void {
    this.cache.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.cache.stop();
    await Promise.all([...this.consumers.values()].map((c) => this.stop(c)));
    this.consumers.clear();
  }

  private sync(): void {
    const wanted = new Map<string, Entity<SubscriptionSpec>>();
    for (const entity of this.cache.values()) wanted.set(keyOf(entity), entity);
    for (const [key, consumer] of this.consumers) {
      const entity = wanted.get(key);
      if (
        !entity ||
        entity.id !== consumer.entity.id ||
        topicOf(entity.org, entity.spec.eventType) !== consumer.topic
      ) {
        this.consumers.delete(key);
        void this.stop(consumer);
      }
    }
    for (const [key, entity] of wanted) {
      const consumer = this.consumers.get(key);
      if (!consumer) {
        const fresh: Consumer = {
          entity,
          topic: topicOf(entity.org, entity.spec.eventType),
          stopped: false,
          retryMs: 1000,
        };
        this.consumers.set(key, fresh);
        void this.start(fresh);
        continue;
      }
      consumer.entity = entity;
      if (consumer.bus && entity.status !== 'READY') void this.mark(consumer, 'READY', []);
    }
  }

  private async start(consumer: Consumer): Promise<void> {
    try {
      const bus = await this.bus.subscribe<EventEnvelope>({
        topics: [consumer.topic],
        group: groupOf(consumer.entity.id),
        from: 'latest',
        handler: (message) => this.deliverer.deliver(consumer.entity, message),
      });
      if (consumer.stopped) {
        await bus.close();
        return;
      }
      consumer.bus = bus;
      consumer.retryMs = 1000;
      await this.mark(consumer, 'READY', []);
    } catch (err) {
      if (consumer.stopped) return;
      const reason = `its consumer cannot start: ${(err as Error).message}`;
      this.logger.warn(
        `subscription ${keyOf(consumer.entity)}: ${reason}; retrying in ${consumer.retryMs} ms`,
      );
      await this.mark(consumer, 'ERROR', [reason]);
      consumer.timer = setTimeout(() => void this.start(consumer), consumer.retryMs);
      consumer.retryMs = Math.min(consumer.retryMs * 2, RETRY_MAX_MS);
    }
  }

  private async stop(consumer: Consumer): Promise<void> {
    consumer.stopped = true;
    clearTimeout(consumer.timer);
    await consumer.bus
      ?.close()
      .catch((err: unknown) =>
        this.logger.warn(`closing the consumer of ${keyOf(consumer.entity)}: ${(err as Error).message}`),
      );
  }

  /** Writes the subscription's status; a newer write or a delete in between wins. */
  private async mark(consumer: Consumer, status: 'READY' | 'ERROR', reason: string[]): Promise<void> {
    const { entity } = consumer;
    if (entity.status === status && entity.reason.join() === reason.join()) return;
    try {
      consumer.entity = await this.store.update<SubscriptionSpec>({ ...entity, status, reason });
    } catch (err) {
      if (err instanceof DomainError && (err.code === 'REVISION_CONFLICT' || err.code === 'NOT_FOUND'))
        return;
      this.logger.warn(`marking subscription ${keyOf(entity)} ${status}: ${(err as Error).message}`);
    }
  }
}
