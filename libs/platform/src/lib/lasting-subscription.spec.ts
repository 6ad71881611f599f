import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@dispatch/contracts';
import type { MessageBus, Subscription } from '@dispatch/messaging';
import { lastingSubscription } from './lasting-subscription.js';

const quiet = { warn: () => undefined, error: () => undefined, log: () => undefined };
const options = { topics: ['t'], group: 'g', handler: async () => undefined };

/** A bus whose first `failures` subscribes fail with `error`. */
function busFailing(failures: number, error: Error) {
  const calls = { subscribe: 0, closed: 0 };
  const bus = {
    subscribe: async (): Promise<Subscription> => {
      calls.subscribe += 1;
      if (calls.subscribe <= failures) throw error;
      return { live: true, interruptions: 0, close: async () => void (calls.closed += 1) };
    },
  } as unknown as MessageBus;
  return { bus, calls };
}

describe('lastingSubscription', () => {
  it('tries again while the bus is unavailable, and is live once it answers', async () => {
    const { bus, calls } = busFailing(2, new DomainError('UNAVAILABLE', 'Kafka is unavailable'));
    const subscription = lastingSubscription(bus, options, quiet);
    expect(subscription.live).toBe(false);
    await subscription.settled;
    expect(subscription.live).toBe(true);
    expect(calls.subscribe).toBe(3);
    await subscription.close();
    expect(calls.closed).toBe(1);
  }, 10_000);

  it('stops trying when closed while it waits', async () => {
    const { bus, calls } = busFailing(100, new DomainError('UNAVAILABLE', 'Kafka is unavailable'));
    const subscription = lastingSubscription(bus, options, quiet);
    await new Promise((r) => setTimeout(r, 50));
    await subscription.close();
    await subscription.settled;
    expect(subscription.live).toBe(false);
    expect(calls.subscribe).toBe(1);
  });

  it('does not try again after a mistake no retry mends', async () => {
    const { bus, calls } = busFailing(1, new DomainError('INVALID_ARGUMENT', 'no such topic name'));
    const subscription = lastingSubscription(bus, options, quiet);
    await subscription.settled;
    expect(subscription.live).toBe(false);
    expect(calls.subscribe).toBe(1);
  });
});
