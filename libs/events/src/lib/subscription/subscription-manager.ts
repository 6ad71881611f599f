import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SUBSCRIPTION_KIND, type EventEnvelope, type SubscriptionSpec } from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { MESSAGE_BUS, type MessageBus, type Subscription as BusSubscription } from '@dispatch/messaging';
import { EntityWorkers, type EntityWorker } from '@dispatch/platform';
import { Deliverer } from '../delivery/deliverer.js';
import { DeliveryMetrics, type SubscriptionLag } from '../delivery/delivery-metrics.js';
import { groupOf, topicOf } from '../topics.js';

const RETRY_START_MS = 1000;
const LAG_CONCURRENCY = 16;
const LAG_WAIT_MS = 1000;

/** What `work` resolves to, or undefined if it fails or takes longer than `ms`. */
function withinMs<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  return Promise.race([work.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}
const RETRY_MAX_MS = 30_000;

/** A subscription's consumer on the bus, once it is live, and its retry while it is not. */
interface Consumer {
  bus?: BusSubscription;
  retryMs: number;
  timer?: NodeJS.Timeout;
}

type Worker = EntityWorker<SubscriptionSpec, Consumer>;

/**
 * Keeps one bus consumer per subscription: a new one starts consuming its org's topic for its event
 * type (as a consumer group of its own), a changed event type moves it to the new topic, a deleted one
 * stops. A subscription is READY once its consumer is live; while the bus cannot be reached it is ERROR,
 * saying so, and retried with backoff. Every events service replica runs one, and the bus shares each
 * group's messages among them.
 */
@Injectable()
export class SubscriptionManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('subscriptions');
  private readonly workers: EntityWorkers<SubscriptionSpec, Consumer>;

  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly deliverer: Deliverer,
    @Optional() metrics?: DeliveryMetrics,
  ) {
    this.workers = new EntityWorkers<SubscriptionSpec, Consumer>({
      name: 'subscription',
      store,
      kind: SUBSCRIPTION_KIND,
      // Its function and secrets are read at each delivery: only what it consumes needs a new consumer.
      identity: (e) => `${e.id} ${topicOf(e.org, e.spec.eventType)}`,
      start: (worker) => this.consume(worker),
      stop: async (worker) => {
        clearTimeout(worker.state?.timer);
        await worker.state?.bus?.close();
      },
      updated: (worker) => {
        if (worker.state?.bus && worker.entity.status !== 'READY')
          void this.workers.mark(worker, 'READY', []);
      },
    });
    metrics?.watchLag(() => this.lags());
  }

  onApplicationBootstrap(): void {
    this.workers.start();
  }

  /**
   * How far behind each subscription consuming here is: a bus question per subscription, asked a few
   * at a time, each given at most a second (a scrape must not wait on a broker that is away).
   */
  async lags(): Promise<SubscriptionLag[]> {
    const live = this.workers.current().filter((w) => w.state?.bus?.live);
    const lags: SubscriptionLag[] = [];
    for (let i = 0; i < live.length; i += LAG_CONCURRENCY) {
      const batch = live.slice(i, i + LAG_CONCURRENCY).map(async ({ entity }) => {
        const lag = await withinMs(
          this.bus.lag(groupOf(entity.id), [topicOf(entity.org, entity.spec.eventType)]),
          LAG_WAIT_MS,
        );
        if (lag !== undefined) lags.push({ org: entity.org, subscription: entity.name, lag });
      });
      await Promise.all(batch);
    }
    return lags;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.workers.stop();
  }

  private async consume(worker: Worker): Promise<void> {
    const consumer = (worker.state ??= { retryMs: RETRY_START_MS });
    const { entity } = worker;
    try {
      const bus = await this.bus.subscribe<EventEnvelope>({
        topics: [topicOf(entity.org, entity.spec.eventType)],
        group: groupOf(entity.id),
        from: 'latest',
        handler: (message) => this.deliverer.deliver(worker.entity, message),
      });
      if (worker.stopped) {
        await bus.close();
        return;
      }
      consumer.bus = bus;
      consumer.retryMs = RETRY_START_MS;
      await this.workers.mark(worker, 'READY', []);
    } catch (err) {
      if (worker.stopped) return;
      const reason = `its consumer cannot start: ${(err as Error).message}`;
      this.logger.warn(`subscription ${entity.name} in ${entity.org}/${entity.project}: ${reason}`);
      await this.workers.mark(worker, 'ERROR', [reason]);
      consumer.timer = setTimeout(() => void this.consume(worker), consumer.retryMs);
      consumer.retryMs = Math.min(consumer.retryMs * 2, RETRY_MAX_MS);
    }
  }
}
