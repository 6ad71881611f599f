import { Logger } from '@nestjs/common';
import type { Entity } from '@dispatch/contracts';
import type { EntityRef, EntityStore, Watch } from '@dispatch/entity-store';
import { followStore } from './follow-store.js';

export interface EntityCacheOptions {
  name: string;
  store: EntityStore;
  kind: string;
  /** Called after every change to the cached set, and after each full load. */
  onChange?: () => void;
  /** What of each entity to keep, e.g. without a large field the hot path never reads. */
  keep?: (entity: Entity<unknown>) => Entity<unknown>;
}

const keyOf = (ref: EntityRef) => `${ref.org}/${ref.project}/${ref.kind}/${ref.name}`;

/**
 * Every entity of one kind, across orgs, kept in memory and current through the store's watch: what
 * Kubernetes calls an informer. Hot paths (the gateway's routes, a run's function) read it instead of
 * the store. It watches from the revision it lists at, keeps the newest revision it has seen of each
 * key, and starts over from a fresh list when the watch breaks.
 */
export class EntityCache<S> {
  private readonly logger: Logger;
  private readonly entries = new Map<string, Entity<S>>();
  /** Revisions of deletes seen, so a listed entity older than its delete is not brought back. */
  private readonly deleted = new Map<string, number>();
  private watch?: Watch;
  private stopped = false;
  private loadedOnce!: () => void;
  /** Resolves once the first full list is in. */
  readonly loaded = new Promise<void>((resolve) => (this.loadedOnce = resolve));

  constructor(private readonly options: EntityCacheOptions) {
    this.logger = new Logger(`${options.name}-cache`);
  }

  /** Starts following the store in the background; a store that is down is retried with backoff. */
  start(): void {
    void this.follow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watch?.close();
  }

  get(ref: Omit<EntityRef, 'kind'>): Entity<S> | undefined {
    return this.entries.get(keyOf({ ...ref, kind: this.options.kind }));
  }

  /**
   * Takes an entity this process just wrote, ahead of its watch event, so what it reads next is what it
   * wrote. Older than what is cached, it is ignored.
   */
  offer(entity: Entity<S>): void {
    this.put(entity);
  }

  values(): IterableIterator<Entity<S>> {
    return this.entries.values();
  }

  private follow(): Promise<void> {
    return followStore(() => this.subscribe(), { logger: this.logger, stopped: () => this.stopped });
  }

  private async subscribe(): Promise<void> {
    const { store, kind } = this.options;
    const revision = await store.revision();
    this.watch = await store.watch<S>(
      { kind },
      {
        fromRevision: revision + 1,
        onEvent: (event) => {
          if (event.type === 'put') this.put(event.entity);
          else this.remove(keyOf(event.ref), event.revision);
          this.options.onChange?.();
        },
        onError: (err) => {
          this.logger.error(`watch ended, starting over: ${err.message}`);
          this.watch = undefined;
          if (!this.stopped) void this.follow();
        },
      },
    );
    if (this.stopped) {
      await this.watch.close();
      return;
    }
    const listed = await store.list<S>({ kind });
    const present = new Set<string>();
    for (const entity of listed) {
      present.add(keyOf(entity));
      this.put(entity);
    }
    // After a broken watch, what is no longer listed (and not re-created since) is gone.
    for (const [key, entity] of this.entries) {
      if (!present.has(key) && entity.revision <= revision) this.entries.delete(key);
    }
    this.options.onChange?.();
    this.loadedOnce();
  }

  private put(entity: Entity<S>): void {
    const key = keyOf(entity);
    const current = this.entries.get(key);
    if (current && current.revision >= entity.revision) return;
    if ((this.deleted.get(key) ?? 0) >= entity.revision) return;
    this.entries.set(key, (this.options.keep ? this.options.keep(entity) : entity) as Entity<S>);
    this.deleted.delete(key);
  }

  private remove(key: string, revision: number): void {
    const current = this.entries.get(key);
    if (current && current.revision > revision) return;
    this.entries.delete(key);
    this.deleted.set(key, revision);
  }
}
