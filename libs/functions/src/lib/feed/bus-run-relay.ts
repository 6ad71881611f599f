import { randomBytes } from 'node:crypto';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { PrintedLog, Run } from '@dispatch/contracts';
import type { BusMessage, MessageBus } from '@dispatch/messaging';
import { lastingSubscription, type LastingSubscription } from '@dispatch/platform';
import type { RunFeed, RunRelay } from './run-feed.js';

// No dot in these names: an org's events travel on `<org>.<eventType>`, which always holds one, so no
// tenant's events can land on them.
/** Which functions each replica follows, announced on change and every ANNOUNCE_MS. */
export const FOLLOWS_TOPIC = 'dispatch-functions-runs-followed';
/** Finished runs that another replica follows, each already cut to size (feedable). */
export const RUNS_TOPIC = 'dispatch-functions-runs-finished';
const ANNOUNCE_MS = 10_000;
/** A replica not heard from for this long (stopped without a word) follows nothing any more. */
const FORGET_AFTER_MS = 3 * ANNOUNCE_MS;

interface Followed {
  replica: string;
  /** `org/project/function`, or `org/project/` for every function of the project. */
  keys: string[];
  /** A replica just started: the others tell it what they follow, without waiting for their next turn. */
  hello?: boolean;
}

interface Relayed {
  org: string;
  project: string;
  run: Run;
}

/** What runs of one function printed, gathered for a moment: one message rather than one a print. */
interface RelayedLogs {
  org: string;
  project: string;
  logs: PrintedLog[];
}

/** How long printed output waits to go with more, and how much goes in one message at most. */
const LOG_BATCH_MS = 20;
const LOG_BATCH_BYTES = 256 * 1024;

/**
 * The replicas of the functions service, told of each other's follows over the message bus: each
 * announces what is followed on it (a consumer group of its own per replica, so every replica hears
 * every announcement), and a run finished on one replica crosses to the others only when one of them
 * follows it. Nothing is published while nobody follows, so runs cost the bus nothing then.
 */
export class BusRunRelay implements RunRelay, OnApplicationShutdown {
  private readonly logger = new Logger('run-feed');
  private readonly replica = randomBytes(6).toString('hex');
  private readonly subscription: LastingSubscription;
  /** Other replicas' follows, and when each was last heard. */
  private readonly others = new Map<string, { keys: Set<string>; heard: number }>();
  /** Every key some other replica follows: what `wanted` reads. */
  private wantedKeys = new Set<string>();
  private local: string[] = [];
  private readonly timer: NodeJS.Timeout;
  /**
   * The last publish of each `org/project/function`: the next waits for it, so what a run printed is
   * never overtaken by the run itself (a producer's sends may otherwise pass one another).
   */
  private readonly sending = new Map<string, Promise<void>>();
  /** Output waiting to go, by `org/project/function` (the messages' key, which keeps their order). */
  private readonly printing = new Map<string, { value: RelayedLogs; bytes: number; timer: NodeJS.Timeout }>();

  constructor(
    private readonly bus: MessageBus,
    private readonly feed: RunFeed,
  ) {
    this.subscription = lastingSubscription<Followed | Relayed | RelayedLogs>(
      bus,
      {
        topics: [FOLLOWS_TOPIC, RUNS_TOPIC],
        group: `functions.run-feed.${this.replica}`,
        handler: async (message) => this.heard(message),
      },
      this.logger,
    );
    // Once live, ask the others what they follow: a replica that starts during a follow relays at once.
    void this.subscription.settled.then(async () => {
      if (this.subscription.live) await this.announce(true);
    });
    this.timer = setInterval(() => {
      this.forgetSilent();
      if (this.local.length > 0) void this.announce();
    }, ANNOUNCE_MS).unref();
    feed.relayThrough(this);
  }

  async followed(keys: string[]): Promise<void> {
    const before = this.local;
    this.local = keys;
    if (before.length === 0 && keys.length === 0) return;
    await this.announce();
  }

  wanted(org: string, project: string, functionName: string): boolean {
    const keys = this.wantedKeys;
    return keys.size > 0 && (keys.has(`${org}/${project}/${functionName}`) || keys.has(`${org}/${project}/`));
  }

  forward(org: string, project: string, run: Run): void {
    const key = `${org}/${project}/${run.functionName}`;
    // What it printed goes first.
    this.flushLogs(key);
    const value: Relayed = { org, project, run };
    this.inOrder(key, value, `run ${run.name}`);
  }

  /** Publishes after the key's previous message has gone; never rejects (a failure is logged). */
  private inOrder(key: string, value: Relayed | RelayedLogs, what: string): void {
    const previous = this.sending.get(key) ?? Promise.resolve();
    const sent = previous
      .then(() => this.bus.publish(RUNS_TOPIC, [{ key, value, headers: this.from() }]))
      .catch((err: unknown) => this.logger.warn(`${what} not relayed: ${(err as Error).message}`));
    this.sending.set(key, sent);
    void sent.then(() => {
      if (this.sending.get(key) === sent) this.sending.delete(key);
    });
  }

  forwardLog(org: string, project: string, log: PrintedLog): void {
    const key = `${org}/${project}/${log.functionName}`;
    let batch = this.printing.get(key);
    if (!batch) {
      batch = {
        value: { org, project, logs: [] },
        bytes: 0,
        timer: setTimeout(() => this.flushLogs(key), LOG_BATCH_MS),
      };
      this.printing.set(key, batch);
    }
    batch.value.logs.push(log);
    batch.bytes += Buffer.byteLength(log.text);
    if (batch.bytes >= LOG_BATCH_BYTES) this.flushLogs(key);
  }

  private flushLogs(key: string): void {
    const batch = this.printing.get(key);
    if (!batch) return;
    this.printing.delete(key);
    clearTimeout(batch.timer);
    this.inOrder(key, batch.value, `output of ${key}`);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    for (const key of [...this.printing.keys()]) this.flushLogs(key);
    if (this.local.length > 0) {
      this.local = [];
      await this.announce();
    }
    await this.subscription.close();
  }

  private from(): Record<string, string> {
    return { replica: this.replica };
  }

  /** Never rejects: a follow works on this replica's runs even while the bus is away. */
  private async announce(hello = false): Promise<void> {
    const value: Followed = { replica: this.replica, keys: this.local, ...(hello ? { hello } : {}) };
    try {
      await this.bus.publish(FOLLOWS_TOPIC, [{ key: this.replica, value, headers: this.from() }]);
    } catch (err) {
      this.logger.warn(`follows not announced to the other replicas: ${(err as Error).message}`);
    }
  }

  /** Another replica's word; one of a shape no replica sends is dropped, never tried again. */
  private heard(message: BusMessage<Followed | Relayed | RelayedLogs>): void {
    if (message.headers['replica'] === this.replica) return;
    if (message.topic === RUNS_TOPIC) {
      if (isRelayedLogs(message.value)) {
        const { org, project, logs } = message.value;
        for (const log of logs) this.feed.deliverLog(org, project, log);
      } else if (isRelayed(message.value)) {
        const { org, project, run } = message.value;
        this.feed.deliver(org, project, run);
      }
      return;
    }
    if (!isFollowed(message.value)) return;
    const { replica, keys, hello } = message.value;
    if (keys.length === 0) this.others.delete(replica);
    else this.others.set(replica, { keys: new Set(keys), heard: Date.now() });
    this.merge();
    if (hello && this.local.length > 0) void this.announce();
  }

  private forgetSilent(): void {
    const before = this.others.size;
    const now = Date.now();
    for (const [replica, { heard }] of this.others) {
      if (now - heard > FORGET_AFTER_MS) this.others.delete(replica);
    }
    if (this.others.size !== before) this.merge();
  }

  private merge(): void {
    const keys = new Set<string>();
    for (const other of this.others.values()) for (const key of other.keys) keys.add(key);
    this.wantedKeys = keys;
  }
}

function isFollowed(value: unknown): value is Followed {
  const v = value as Partial<Followed> | null;
  return (
    typeof v?.replica === 'string' && Array.isArray(v.keys) && v.keys.every((k) => typeof k === 'string')
  );
}

function isRelayedLogs(value: unknown): value is RelayedLogs {
  const v = value as Partial<RelayedLogs> | null;
  return (
    typeof v?.org === 'string' &&
    typeof v.project === 'string' &&
    Array.isArray(v.logs) &&
    v.logs.every(
      (l) =>
        typeof l?.functionName === 'string' &&
        typeof l.run === 'string' &&
        (l.stream === 'stdout' || l.stream === 'stderr') &&
        typeof l.text === 'string',
    )
  );
}

function isRelayed(value: unknown): value is Relayed {
  const v = value as Partial<Relayed> | null;
  return (
    typeof v?.org === 'string' &&
    typeof v.project === 'string' &&
    typeof v.run?.name === 'string' &&
    typeof v.run.functionName === 'string'
  );
}
