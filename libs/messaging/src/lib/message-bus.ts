/** A message as a subscriber receives it. */
export interface BusMessage<T = unknown> {
  topic: string;
  /** Messages with the same key are delivered in the order they were published. */
  key: string;
  value: T;
  headers: Record<string, string>;
  partition: number;
  offset: string;
  /** Milliseconds since the epoch, when the bus accepted the message. */
  timestamp: number;
}

export interface OutgoingMessage<T = unknown> {
  key: string;
  value: T;
  headers?: Record<string, string>;
}

export interface SubscribeOptions<T = unknown> {
  topics: string[];
  /** Members of one group share the messages; every group gets all of them. */
  group: string;
  /**
   * Called once per message, in key order. A throw (or rejection) means "not handled": the message is
   * delivered again after a backoff, and later messages of its key wait for it (at-least-once).
   */
  handler: (message: BusMessage<T>) => Promise<void>;
  /** Where a group that has never consumed these topics starts. Default `latest`. */
  from?: 'earliest' | 'latest';
}

export interface Subscription {
  /** Stops receiving; messages not yet handled go to the group's other members or the next subscriber. */
  close(): Promise<void>;
  /** Whether messages reach it now: false once closed, and while a consumer has lost its broker. */
  readonly live: boolean;
  /**
   * How many times delivery stopped and started again (a broker away, a group rejoined). Messages
   * published meanwhile may never arrive (their publisher gave up), so whoever keeps what a message
   * would invalidate drops it when this moves.
   */
  readonly interruptions: number;
}

/**
 * The event bus contract (DESIGN.md): publish; subscribe with a consumer group; at-least-once
 * delivery; order kept per key. Kafka in the distributed shape, in-process in solo; the contract suite
 * in `testing/` runs against both.
 */
export interface MessageBus {
  /** Resolves once the bus has accepted every message (Kafka: acknowledged by the broker). */
  publish<T>(topic: string, messages: OutgoingMessage<T>[]): Promise<void>;
  /** Resolves once the subscription is live: anything published afterwards reaches it. */
  subscribe<T>(options: SubscribeOptions<T>): Promise<Subscription>;
  /**
   * How far `group` is behind on `topics`: messages published to them that it has not handled yet,
   * over every partition (Kafka's consumer lag). 0 for a group that never consumed them.
   */
  lag(group: string, topics: string[]): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const MESSAGE_BUS = Symbol.for('dispatch.message-bus');
