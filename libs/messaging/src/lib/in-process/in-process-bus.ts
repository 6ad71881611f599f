import { DomainError } from '@dispatch/contracts';
import type {
  BusMessage,
  MessageBus,
  OutgoingMessage,
  SubscribeOptions,
  Subscription,
} from '../message-bus.js';
import { encodeMessage, retryDelay, validateSubscription, validateTopic } from '../validation.js';
import { partitionOf } from './partitioner.js';

export interface InProcessBusOptions {
  /** Partitions per topic: the most members of one group that can work at once. */
  partitions?: number;
  /** Messages kept per partition for groups that join later with `from: 'earliest'`. */
  retainPerPartition?: number;
}

class Partition {
  /** Offset of messages[0]; older ones were trimmed once every group had handled them. */
  base = 0;
  readonly messages: BusMessage[] = [];
  private waiters: (() => void)[] = [];

  get end(): number {
    return this.base + this.messages.length;
  }

  at(offset: number): BusMessage | undefined {
    return this.messages[offset - this.base];
  }

  append(message: BusMessage): void {
    this.messages.push(message);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves on the next append, or after `ms` so a loop can notice it should stop. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  trimTo(offset: number): void {
    if (offset <= this.base) return;
    this.messages.splice(0, offset - this.base);
    this.base = offset;
  }
}

class Topic {
  readonly groups = new Map<string, Group>();
  constructor(readonly partitions: Partition[]) {}
}

interface Member {
  handler: (message: BusMessage<unknown>) => Promise<void>;
  closed: boolean;
}

/** One consumer group on one topic: committed offsets and which member owns each partition. */
class Group {
  readonly committed: number[];
  readonly owners: (Member | undefined)[];
  /** Whether a delivery loop runs for a partition: one at most, so a key is never handled twice at once. */
  readonly running: boolean[];
  readonly members: Member[] = [];

  constructor(topic: Topic, from: 'earliest' | 'latest') {
    this.committed = topic.partitions.map((p) => (from === 'earliest' ? p.base : p.end));
    this.owners = topic.partitions.map(() => undefined);
    this.running = topic.partitions.map(() => false);
  }

  rebalance(): void {
    const live = this.members.filter((m) => !m.closed);
    this.owners.forEach((_, p) => {
      this.owners[p] = live.length ? live[p % live.length] : undefined;
    });
  }
}

/**
 * The solo bus: topics are in-memory logs split into partitions by key, consumed by groups with
 * committed offsets, like Kafka's, so the same contract holds: at-least-once, order per key, groups
 * sharing work. Nothing survives the process; solo's durable state lives in the entity store.
 */
export class InProcessBus implements MessageBus {
  private readonly topics = new Map<string, Topic>();
  private readonly partitions: number;
  private readonly retain: number;
  private readonly loops = new Set<Promise<void>>();
  private closed = false;
  private readonly subscriptions = new Set<Subscription>();

  constructor(options: InProcessBusOptions = {}) {
    this.partitions = options.partitions ?? 3;
    this.retain = options.retainPerPartition ?? 10_000;
  }

  async publish<T>(topicName: string, messages: OutgoingMessage<T>[]): Promise<void> {
    this.assertOpen();
    validateTopic(topicName);
    // Validate all before appending any, so a bad batch leaves the log untouched.
    const encoded = messages.map((m) => encodeMessage(topicName, m));
    const topic = this.topic(topicName);
    messages.forEach((m, i) => {
      const p = partitionOf(m.key, this.partitions);
      const partition = topic.partitions[p] as Partition;
      partition.append({
        topic: topicName,
        key: m.key,
        // A copy, as a network bus would hand over: a subscriber cannot change the publisher's object.
        value: JSON.parse(encoded[i] as string) as unknown,
        headers: { ...(m.headers ?? {}) },
        partition: p,
        offset: String(partition.end),
        timestamp: Date.now(),
      });
      this.trim(topic, p);
    });
  }

  async subscribe<T>(options: SubscribeOptions<T>): Promise<Subscription> {
    this.assertOpen();
    validateSubscription(options);
    const member: Member = { handler: options.handler as Member['handler'], closed: false };
    const joined: Group[] = [];
    for (const name of options.topics) {
      const topic = this.topic(name);
      let group = topic.groups.get(options.group);
      if (!group) {
        group = new Group(topic, options.from ?? 'latest');
        topic.groups.set(options.group, group);
      }
      group.members.push(member);
      group.rebalance();
      joined.push(group);
      topic.partitions.forEach((_, p) => this.startLoop(topic, group as Group, p));
    }
    const subscription: Subscription = {
      get live() {
        return !member.closed;
      },
      // In one process delivery never stops while the bus is open.
      interruptions: 0,
      close: async () => {
        if (member.closed) return;
        member.closed = true;
        this.subscriptions.delete(subscription);
        for (const group of joined) {
          group.members.splice(group.members.indexOf(member), 1);
          group.rebalance();
        }
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async lag(group: string, topics: string[]): Promise<number> {
    let behind = 0;
    for (const name of topics) {
      const topic = this.topics.get(name);
      const consumer = topic?.groups.get(group);
      if (!topic || !consumer) continue;
      topic.partitions.forEach((partition, p) => {
        behind += Math.max(0, partition.end - (consumer.committed[p] as number));
      });
    }
    return behind;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.closed = true;
    await Promise.all(this.loops);
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = new Topic(Array.from({ length: this.partitions }, () => new Partition()));
      this.topics.set(name, topic);
    }
    return topic;
  }

  /**
   * One loop per group and partition delivers each message to whichever member owns the partition at
   * that moment, so ownership moves between messages, never during one. It ends when no member is left.
   */
  private startLoop(topic: Topic, group: Group, p: number): void {
    if (group.running[p] || !group.owners[p]) return;
    group.running[p] = true;
    const loop = this.consume(topic, group, p).finally(() => {
      group.running[p] = false;
      this.loops.delete(loop);
      // A member may have joined while this loop was winding down.
      if (!this.closed) this.startLoop(topic, group, p);
    });
    this.loops.add(loop);
  }

  private async consume(topic: Topic, group: Group, p: number): Promise<void> {
    const partition = topic.partitions[p] as Partition;
    let attempt = 0;
    for (let owner = group.owners[p]; owner && !this.closed; owner = group.owners[p]) {
      const offset = group.committed[p] as number;
      const message = partition.at(offset);
      if (!message) {
        await partition.next(250);
        continue;
      }
      try {
        await owner.handler(message);
        group.committed[p] = offset + 1;
        attempt = 0;
        this.trim(topic, p);
      } catch {
        attempt += 1;
        await new Promise((r) => setTimeout(r, retryDelay(attempt)));
      }
    }
  }

  /** Drops messages every group has handled, keeping a bounded tail for late `earliest` groups. */
  private trim(topic: Topic, p: number): void {
    const partition = topic.partitions[p] as Partition;
    if (partition.messages.length <= this.retain) return;
    const handled = Math.min(...[...topic.groups.values()].map((g) => g.committed[p] as number));
    const floor = partition.end - this.retain;
    partition.trimTo(Math.min(Number.isFinite(handled) ? handled : floor, floor));
  }

  private assertOpen(): void {
    if (this.closed) throw new DomainError('UNAVAILABLE', 'the message bus is closed');
  }
}
