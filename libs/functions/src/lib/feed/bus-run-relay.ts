import { randomBytes } from 'node:crypto';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Run } from '@dispatch/contracts';
import type { BusMessage, MessageBus } from '@dispatch/messaging';
import { lastingSubscription, type LastingSubscription } from '@dispatch/platform';
import { boundedLogs } from '@dispatch/runtime';
import type { RunFeed, RunRelay } from './run-feed.js';

/** Which functions each replica follows, announced on change and every ANNOUNCE_MS. */
export const FOLLOWS_TOPIC = 'functions.runs.followed';
/** Finished runs that another replica follows. */
export const RUNS_TOPIC = 'functions.runs.finished';
const ANNOUNCE_MS = 10_000;
/** A replica not heard from for this long (stopped without a word) follows nothing any more. */
const FORGET_AFTER_MS = 3 * ANNOUNCE_MS;
/** What of a run's logs crosses to another replica: a broker takes messages of about 1 MB at most. */
const RELAYED_LOG_BYTES = 256 * 1024;
const RELAYED_OUTPUT_BYTES = 256 * 1024;

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

  constructor(
    private readonly bus: MessageBus,
    private readonly feed: RunFeed,
  ) {
    this.subscription = lastingSubscription<Followed | Relayed>(
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
    const value: Relayed = { org, project, run: relayable(run) };
    this.bus
      .publish(RUNS_TOPIC, [{ key: `${org}/${project}/${run.functionName}`, value, headers: this.from() }])
      .catch((err: unknown) => this.logger.warn(`run ${run.name} not relayed: ${(err as Error).message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
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

  private heard(message: BusMessage<Followed | Relayed>): void {
    if (message.headers['replica'] === this.replica) return;
    if (message.topic === RUNS_TOPIC) {
      const { org, project, run } = message.value as Relayed;
      this.feed.deliver(org, project, run);
      return;
    }
    const { replica, keys, hello } = message.value as Followed;
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

/** The run as another replica's follower gets it: logs and output cut to what a broker message holds. */
function relayable(run: Run): Run {
  const output =
    run.output !== null && JSON.stringify(run.output).length > RELAYED_OUTPUT_BYTES
      ? `[the output is larger than ${RELAYED_OUTPUT_BYTES} bytes; see dispatch get runs ${run.functionName} ${run.name}]`
      : run.output;
  return { ...run, output, logs: boundedLogs(run.logs, RELAYED_LOG_BYTES) };
}
