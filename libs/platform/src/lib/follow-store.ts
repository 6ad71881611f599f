import type { Logger } from '@nestjs/common';

/**
 * Runs `subscribe` (list and watch a kind) until it succeeds or `stopped()` says to give up, backing off
 * up to 5 s between attempts. A store that is down does not fail boot: the service starts, reports not
 * ready, and catches up once the store answers. Said once, on the first failure.
 */
export async function followStore(
  subscribe: () => Promise<void>,
  options: { logger: Logger; stopped: () => boolean },
): Promise<void> {
  for (let attempt = 0; !options.stopped(); attempt += 1) {
    try {
      await subscribe();
      return;
    } catch (err) {
      if (attempt === 0) options.logger.warn(`waiting for the entity store: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)).unref());
    }
  }
}
