import { randomUUID } from 'node:crypto';
import { DomainError } from '@dispatch/contracts';
import type { Lease } from '../entity-store.js';

/**
 * Leases of the single process that owns the embedded store. The holder is this process, so a lease
 * lives until revoked or until the process ends; the store drops leased keys on its next open, which is
 * what etcd does once the TTL of a dead holder runs out.
 */
export class LocalLeases {
  private readonly live = new Map<string, Set<string>>();

  constructor(private readonly onRevoke: (id: string) => Promise<void>) {}

  grant(ttlSeconds: number): Lease {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new DomainError(
        'INVALID_ARGUMENT',
        `lease TTL must be a whole number of seconds >= 1, got ${ttlSeconds}`,
      );
    }
    const id = randomUUID();
    this.live.set(id, new Set());
    return {
      id,
      ttlSeconds,
      revoke: async () => {
        if (!this.live.delete(id)) return;
        await this.onRevoke(id);
      },
      // Keep-alives cannot fail inside one process: nothing to report.
      onLost: () => undefined,
    };
  }

  require(id: string): string {
    if (!this.live.has(id)) throw new DomainError('INVALID_ARGUMENT', `lease ${id} is not live`);
    return id;
  }

  attach(id: string, key: string): void {
    this.live.get(id)?.add(key);
  }

  closeAll(): void {
    this.live.clear();
  }
}
