import type { Logger } from '@nestjs/common';
import type { Entity } from '@dispatch/contracts';
import type { EntityStore, Watch, WatchEvent } from '@dispatch/entity-store';

export interface KindFollowerOptions<S> {
  store: EntityStore;
  kind: string;
  logger: Logger;
  /** Every change after the listing's revision, in order. */
  onEvent: (event: WatchEvent<S>) => void;
  /** The listing, after the watch is in place: nothing between the two is missed. */
  onListed: (entities: Entity<S>[], revision: number) => void;
}

/**
 * Follows one kind across orgs: watches from the current revision, then lists, and starts over from a
 * fresh list when the watch breaks (compaction, a lost stream). A store that is down does not fail
 * boot: it is retried with backoff up to 5 s, said once, while the service reports not ready.
 */
export class KindFollower<S> {
  private watch?: Watch;
  private stopped = false;

  constructor(private readonly options: KindFollowerOptions<S>) {}

  start(): void {
    void this.follow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watch?.close();
  }

  private async follow(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt += 1) {
      try {
        await this.subscribe();
        return;
      } catch (err) {
        if (attempt === 0)
          this.options.logger.warn(`waiting for the entity store: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)).unref());
      }
    }
  }

  private async subscribe(): Promise<void> {
    const { store, kind, logger } = this.options;
    const revision = await store.revision();
    this.watch = await store.watch<S>(
      { kind },
      {
        fromRevision: revision + 1,
        onEvent: (event) => this.options.onEvent(event),
        onError: (err) => {
          logger.error(`watch ended, starting over: ${err.message}`);
          this.watch = undefined;
          if (!this.stopped) void this.follow();
        },
      },
    );
    if (this.stopped) {
      await this.watch.close();
      return;
    }
    this.options.onListed(await store.list<S>({ kind }), revision);
  }
}
