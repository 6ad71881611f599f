import { DomainError } from '@dispatch/contracts';
import type { Lease, Namespace } from 'etcd3';
import type { LockHandle } from '../entity-store.js';

/**
 * A lock on etcd: the key exists while a holder has it, attached to the holder's lease so a holder that
 * dies or loses etcd lets go after the TTL. A waiter watches the key from the revision at which it found
 * it taken and tries again when it is deleted, so it neither polls nor misses the release.
 */
export class EtcdLock {
  constructor(
    private readonly client: Namespace,
    private readonly key: string,
    private readonly name: string,
    private readonly ttlSeconds: number,
  ) {}

  async acquire(timeoutMs?: number): Promise<LockHandle> {
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    const lease = this.client.lease(this.ttlSeconds);
    try {
      const leaseId = await lease.grant();
      for (;;) {
        const res = await this.client
          .if(this.key, 'Create', '==', 0)
          .then(this.client.put(this.key).value(leaseId).lease(leaseId))
          .commit();
        if (res.succeeded) return this.handle(lease);
        await this.waitForRelease(Number(res.header.revision) + 1, deadline);
      }
    } catch (err) {
      await lease.revoke().catch(() => undefined);
      throw err;
    }
  }

  private handle(lease: Lease): LockHandle {
    let released = false;
    return {
      name: this.name,
      release: async () => {
        if (released) return;
        released = true;
        await lease.revoke();
      },
    };
  }

  private async waitForRelease(fromRevision: number, deadline: number): Promise<void> {
    const watcher = await this.client.watch().key(this.key).startRevision(String(fromRevision)).create();
    try {
      await new Promise<void>((resolve, reject) => {
        const remaining = deadline - Date.now();
        const timer = Number.isFinite(remaining)
          ? setTimeout(
              () => reject(new DomainError('UNAVAILABLE', `timed out waiting for lock ${this.name}`)),
              Math.max(0, remaining),
            )
          : undefined;
        watcher.on('delete', () => {
          if (timer) clearTimeout(timer);
          resolve();
        });
        watcher.on('error', (err: Error) => {
          if (timer) clearTimeout(timer);
          reject(err);
        });
      });
    } finally {
      await watcher.cancel().catch(() => undefined);
    }
  }
}
