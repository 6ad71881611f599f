import { DomainError } from '@dispatch/contracts';
import type { LockHandle } from '../entity-store.js';

interface Waiter {
  grant: () => void;
}

/**
 * Named mutexes inside one process, granted first come first served. The embedded store is owned by a
 * single process, so a holder cannot vanish without the whole process (and its locks) going too.
 */
export class LocalLocks {
  private readonly held = new Map<string, Waiter[]>();

  acquire(name: string, timeoutMs?: number): Promise<LockHandle> {
    const handle = (): LockHandle => {
      let released = false;
      return {
        name,
        release: async () => {
          if (released) return;
          released = true;
          this.handOver(name);
        },
      };
    };
    const queue = this.held.get(name);
    if (!queue) {
      this.held.set(name, []);
      return Promise.resolve(handle());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          if (timer) clearTimeout(timer);
          resolve(handle());
        },
      };
      queue.push(waiter);
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              const i = queue.indexOf(waiter);
              if (i >= 0) queue.splice(i, 1);
              reject(
                new DomainError('UNAVAILABLE', `timed out after ${timeoutMs} ms waiting for lock ${name}`),
              );
            }, timeoutMs);
    });
  }

  private handOver(name: string): void {
    const queue = this.held.get(name);
    const next = queue?.shift();
    if (next) next.grant();
    else this.held.delete(name);
  }
}
