import { randomBytes } from 'node:crypto';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { MessageBus } from '@dispatch/messaging';
import { lastingSubscription, type LastingSubscription } from '@dispatch/platform';
import type { ActivityDelta, FunctionActivity } from './function-activity.js';

// No dot in the name: an org's events travel on `<org>.<eventType>`, so none can land here.
/** What each replica of the functions service counted of each function, a few seconds at a time. */
export const ACTIVITY_TOPIC = 'dispatch-functions-activity';
const SHARE_MS = 5_000;
/** At most this many minutes go in one message. */
const BATCH = 500;

interface Counted {
  replica: string;
  deltas: ActivityDelta[];
}

/**
 * The replicas of the functions service, each telling the others what it counted (runs, errors, cold
 * starts, durations by bucket, a minute at a time) every few seconds, so that a function's last hour is
 * the same whichever replica answers `GET /v1/function/{name}/activity`. A consumer group of its own
 * per replica: every replica hears every other. A replica that starts late knows the minutes from then.
 */
export class BusActivityRelay implements OnApplicationShutdown {
  private readonly logger = new Logger('function-activity');
  private readonly replica = randomBytes(6).toString('hex');
  private readonly subscription: LastingSubscription;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly bus: MessageBus,
    private readonly activity: FunctionActivity,
  ) {
    activity.share();
    this.subscription = lastingSubscription<Counted>(
      bus,
      {
        topics: [ACTIVITY_TOPIC],
        group: `functions.activity.${this.replica}`,
        handler: async (message) => {
          const { replica, deltas } = message.value;
          if (replica === this.replica || !Array.isArray(deltas)) return;
          for (const delta of deltas) if (wellFormed(delta)) this.activity.merge(delta);
        },
      },
      this.logger,
    );
    this.timer = setInterval(() => void this.share(), SHARE_MS).unref();
  }

  /** Publishes what this replica counted since last time, if anything. */
  async share(): Promise<void> {
    const deltas = this.activity.takeCounted();
    for (let i = 0; i < deltas.length; i += BATCH) {
      const value: Counted = { replica: this.replica, deltas: deltas.slice(i, i + BATCH) };
      await this.bus
        .publish(ACTIVITY_TOPIC, [{ key: this.replica, value }])
        .catch((err: unknown) => this.logger.warn(`activity not shared: ${(err as Error).message}`));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.share();
    await this.subscription.close();
  }
}

/** A message of another shape (not one a replica sends) is dropped. */
function wellFormed(delta: ActivityDelta): boolean {
  const count = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  return (
    typeof delta?.identity === 'string' &&
    delta.identity.split('/').length === 3 &&
    count(delta.minute) &&
    count(delta.runs) &&
    count(delta.errors) &&
    count(delta.coldStarts) &&
    Array.isArray(delta.durations) &&
    delta.durations.every(count)
  );
}
