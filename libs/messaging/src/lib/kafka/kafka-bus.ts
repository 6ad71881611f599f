import { DomainError } from '@dispatch/contracts';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, Kafka as KafkaClient, Producer } from 'kafkajs';
import type { MessageBus, OutgoingMessage, SubscribeOptions, Subscription } from '../message-bus.js';
import { encodeMessage, validateSubscription, validateTopic } from '../validation.js';
import { CLIENT_RETRY, KafkaSubscription } from './kafka-subscription.js';

// kafkajs is CommonJS: its named exports are reached through the default one under ESM.
const { Kafka, logLevel, CompressionTypes } = kafkajs;

export interface KafkaBusOptions {
  /** e.g. `['127.0.0.1:9092']`. */
  brokers: string[];
  clientId?: string;
  /** Partitions for topics the bus creates; also how many members of a group can work at once. */
  partitions?: number;
}

/**
 * The distributed bus on Kafka through kafkajs. The producer is idempotent with acks from all in-sync
 * replicas, so a publish that resolved is durable and not duplicated by retries. Each partition is
 * consumed in order (KafkaSubscription); a failed handler is retried in place with backoff before its
 * offset is committed, so a key's later messages wait for it and a restart redelivers anything not yet
 * handled.
 */
export class KafkaBus implements MessageBus {
  private readonly kafka: KafkaClient;
  private readonly partitions: number;
  private producer?: Promise<Producer>;
  private admin?: Promise<Admin>;
  private readonly knownTopics = new Set<string>();
  private readonly consumers = new Set<Consumer>();
  private closed = false;

  constructor(options: KafkaBusOptions) {
    this.partitions = options.partitions ?? 3;
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'dispatch',
      brokers: options.brokers,
      logLevel: logLevel.ERROR,
      retry: CLIENT_RETRY,
    });
  }

  async publish<T>(topic: string, messages: OutgoingMessage<T>[]): Promise<void> {
    this.assertOpen();
    validateTopic(topic);
    const encoded = messages.map((m) => ({
      key: m.key,
      value: encodeMessage(topic, m),
      headers: m.headers,
    }));
    await this.ensureTopics([topic]);
    const producer = await this.connectedProducer();
    await this.unavailableOnFailure(() =>
      producer.send({ topic, messages: encoded, acks: -1, compression: CompressionTypes.None }),
    );
  }

  async subscribe<T>(options: SubscribeOptions<T>): Promise<Subscription> {
    this.assertOpen();
    validateSubscription(options);
    await this.ensureTopics(options.topics);
    await this.setStartingOffsets(options.group, options.topics, options.from ?? 'latest');

    const subscription = new KafkaSubscription(this.kafka, options, this.partitions, this.consumers);
    await this.unavailableOnFailure(() => subscription.start());
    return subscription;
  }

  async lag(group: string, topics: string[]): Promise<number> {
    this.assertOpen();
    const admin = await this.connectedAdmin();
    const committed = await this.unavailableOnFailure(() =>
      whileCoordinatorMoves(() => admin.fetchOffsets({ groupId: group, topics })),
    );
    let behind = 0;
    for (const { topic, partitions } of committed) {
      // A group that never committed on the topic has not consumed it: nothing it is behind on.
      if (partitions.every((p) => p.offset === '-1')) continue;
      const ends = await this.unavailableOnFailure(() => admin.fetchTopicOffsets(topic));
      for (const end of ends) {
        const at = partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        const from = at === '-1' ? Number(end.low) : Number(at);
        behind += Math.max(0, Number(end.high) - from);
      }
    }
    return behind;
  }

  async ping(): Promise<void> {
    const admin = await this.connectedAdmin();
    await this.unavailableOnFailure(() => admin.describeCluster());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    if (this.producer) await (await this.producer).disconnect();
    if (this.admin) await (await this.admin).disconnect();
  }

  private async ensureTopics(topics: string[]): Promise<void> {
    const missing = topics.filter((t) => !this.knownTopics.has(t));
    if (missing.length === 0) return;
    const admin = await this.connectedAdmin();
    await this.unavailableOnFailure(() =>
      admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: this.partitions, replicationFactor: -1 })),
      }),
    );
    for (const t of missing) this.knownTopics.add(t);
  }

  /**
   * A group new to a topic gets its starting offsets committed before it joins, so "latest" means "from
   * the moment subscribe was called" rather than whenever the group's first fetch happens to run.
   */
  private async setStartingOffsets(
    group: string,
    topics: string[],
    from: 'earliest' | 'latest',
  ): Promise<void> {
    const admin = await this.connectedAdmin();
    const committed = await this.unavailableOnFailure(() =>
      whileCoordinatorMoves(() => admin.fetchOffsets({ groupId: group, topics })),
    );
    for (const { topic, partitions } of committed) {
      if (partitions.some((p) => p.offset !== '-1')) continue;
      const ends = await this.unavailableOnFailure(() => admin.fetchTopicOffsets(topic));
      await this.unavailableOnFailure(() =>
        whileCoordinatorMoves(() =>
          admin.setOffsets({
            groupId: group,
            topic,
            partitions: ends.map((p) => ({
              partition: p.partition,
              offset: from === 'earliest' ? p.low : p.high,
            })),
          }),
        ),
      );
    }
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 5,
        allowAutoTopicCreation: false,
      });
      await this.unavailableOnFailure(() => producer.connect());
      return producer;
    })().catch((err: unknown) => {
      this.producer = undefined;
      throw err;
    });
    return this.producer;
  }

  private connectedAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await this.unavailableOnFailure(() => admin.connect());
      return admin;
    })().catch((err: unknown) => {
      this.admin = undefined;
      throw err;
    });
    return this.admin;
  }

  private async unavailableOnFailure<R>(fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw new DomainError('UNAVAILABLE', `Kafka is unavailable: ${(err as Error).message}`, { cause: err });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new DomainError('UNAVAILABLE', 'the message bus is closed');
  }
}

/** What the broker says while a group's coordinator is being elected or loaded: worth asking again. */
const COORDINATOR_MOVING = new Set([
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
]);

/**
 * Runs a group-coordinator call again while the coordinator moves. Right after a broker starts, or
 * when a group is new, its coordinator is not settled yet, and kafkajs's admin does not retry these
 * itself. The wait is bounded by time, not by a count of tries: on a busy two-core machine loading the
 * offsets topic took longer than twenty short tries (seen once in CI, with the e2e suites sharing the
 * broker).
 */
async function whileCoordinatorMoves<R>(call: () => Promise<R>, patienceMs = 60_000): Promise<R> {
  const deadline = Date.now() + patienceMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (Date.now() >= deadline || !type || !COORDINATOR_MOVING.has(type)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 1000)));
    }
  }
}
