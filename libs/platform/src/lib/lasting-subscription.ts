import type { Logger } from '@nestjs/common';
import { DomainError } from '@dispatch/contracts';
import type { MessageBus, SubscribeOptions, Subscription } from '@dispatch/messaging';

/** The waits between attempts while the bus is unavailable: 0.5 s doubling to 30 s. */
const FIRST_WAIT_MS = 500;
const LONGEST_WAIT_MS = 30_000;

/** A subscription that keeps trying until it is live. */
export interface LastingSubscription extends Subscription {
  /** Resolves once it stops trying: live, closed, or refused for a reason no retry mends (`live` says). */
  readonly settled: Promise<void>;
}

/**
 * Subscribes, and while the bus is unavailable (a broker still starting, or away) keeps trying with
 * backoff instead of failing the service's start: a service waits for its dependencies, reporting
 * not ready (/readyz) meanwhile, as Kubernetes expects, rather than exiting into a crash loop. Any
 * other error is a mistake in the subscription itself: logged, and not tried again.
 */
export function lastingSubscription<T>(
  bus: MessageBus,
  options: SubscribeOptions<T>,
  logger: Pick<Logger, 'warn' | 'error' | 'log'>,
): LastingSubscription {
  let closed = false;
  let current: Subscription | undefined;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const what = `subscription ${options.group} to ${options.topics.join(', ')}`;

  const settled = (async () => {
    for (let attempt = 1; !closed; attempt += 1) {
      try {
        const subscription = await bus.subscribe(options);
        if (closed) return await subscription.close();
        current = subscription;
        if (attempt > 1) logger.log(`${what} is live`);
        return;
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'UNAVAILABLE')) {
          logger.error(`${what} failed: ${(err as Error).message}`);
          return;
        }
        const waitMs = Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** (attempt - 1));
        logger.warn(
          `${what}: waiting for the message bus (${(err as Error).message}); again in ${waitMs} ms`,
        );
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, waitMs);
        });
      }
    }
  })();

  return {
    settled,
    get live() {
      return current !== undefined && current.live && !closed;
    },
    get interruptions() {
      return current?.interruptions ?? 0;
    },
    close: async () => {
      closed = true;
      clearTimeout(timer);
      wake?.();
      await current?.close();
    },
  };
}
