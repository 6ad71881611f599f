import type { Consumer, EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs';
import type { BusMessage, SubscribeOptions, Subscription } from '../message-bus.js';
import { retryDelay } from '../validation.js';

/**
 * Waits between tries grow from 0.1 s to at most 5 s (kafkajs's default is 30 s): a consumer that lost
 * its broker is back within seconds of the broker, not half a minute later with caches gone stale.
 */
export const CLIENT_RETRY = { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 };

/**
 * One subscription: a kafkajs consumer of the group, replaced by a new one should kafkajs give up on it.
 * It knows whether it is delivering (`live`) and counts how often delivery stopped and started again.
 */
export class KafkaSubscription<T> implements Subscription {
  private stopping = false;
  private current?: Consumer;
  private joined = false;
  private joins = 0;
  private restartTimer?: NodeJS.Timeout;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: SubscribeOptions<T>,
    private readonly partitions: number,
    /** The bus's consumers, which it disconnects when it closes. */
    private readonly consumers: Set<Consumer>,
  ) {}

  get live(): boolean {
    return this.joined && !this.stopping;
  }

  get interruptions(): number {
    return Math.max(0, this.joins - 1);
  }

  /** Resolves once a consumer of the group has joined it. */
  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.group,
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
      retry: { ...CLIENT_RETRY, retries: 20 },
    });
    this.current = consumer;
    this.consumers.add(consumer);
    const joined = new Promise<void>((resolve) =>
      consumer.on(consumer.events.GROUP_JOIN, () => {
        this.joins += 1;
        this.joined = true;
        resolve();
      }),
    );
    // Until it joins again nothing is delivered; kafkajs restarts it after a retriable crash.
    consumer.on(consumer.events.REBALANCING, () => (this.joined = false));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      if (!payload.restart && !this.stopping) this.replace(consumer);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: this.options.topics,
        fromBeginning: this.options.from === 'earliest',
      });
      await consumer.run({
        partitionsConsumedConcurrently: this.partitions,
        eachMessage: (payload) => this.deliver(payload),
      });
    } catch (err) {
      // A consumer that never ran is not the bus's to close later (a replacement's try comes next).
      this.consumers.delete(consumer);
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    await joined;
  }

  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (!this.current) return;
    this.consumers.delete(this.current);
    await this.current.disconnect();
  }

  /** A crash kafkajs gives up on would end the subscription for good, silently: start a new consumer. */
  private replace(crashed: Consumer): void {
    this.consumers.delete(crashed);
    const again = () => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.start().catch(() => (this.restartTimer = setTimeout(again, CLIENT_RETRY.maxRetryTime)));
    };
    this.restartTimer = setTimeout(again, CLIENT_RETRY.maxRetryTime);
  }

  private async deliver({ topic, partition, message }: EachMessagePayload): Promise<void> {
    const delivered = toBusMessage<T>(topic, partition, message);
    for (let attempt = 1; ; attempt += 1) {
      // Leaving the offset uncommitted hands the message to whoever consumes the partition next.
      if (this.stopping) throw new Error('subscription closing');
      try {
        await this.options.handler(delivered);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, retryDelay(attempt)));
      }
    }
  }
}

function toBusMessage<T>(topic: string, partition: number, message: KafkaMessage): BusMessage<T> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = value.toString();
  }
  return {
    topic,
    key: message.key?.toString() ?? '',
    value: JSON.parse(message.value?.toString() ?? 'null') as T,
    headers,
    partition,
    offset: message.offset,
    timestamp: Number(message.timestamp),
  };
}
