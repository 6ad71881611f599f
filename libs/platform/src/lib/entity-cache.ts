import { Logger } from '@nestjs/common';
import type { Entity } from '@dispatch/contracts';
import type { EntityRef, EntityStore } from '@dispatch/entity-store';
import { KindFollower } from './kind-follower.js';

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
 * the store. It keeps the newest revision it has seen of each key (see KindFollower for how it lists,
 * watches and starts over).
 */
export class EntityCache<S> {
  private readonly entries = new Map<string, Entity<S>>();
  /** Revisions of deletes seen, so a listed entity older than its delete is not brought back. */
  private readonly deleted = new Map<string, number>();
  private readonly follower: KindFollower<S>;
  private loadedOnce!: () => void;
  /** Resolves once the first full list is in. */
  readonly loaded = new Promise<void>((resolve) => (this.loadedOnce = resolve));

  constructor(private readonly options: EntityCacheOptions) {
    this.follower = new KindFollower<S>({
      store: options.store,
      kind: options.kind,
      logger: new Logger(`${options.name}-cache`),
      onEvent: (event) => {
        if (event.type === 'put') this.put(event.entity);
        else this.remove(keyOf(event.ref), event.revision);
        this.options.onChange?.();
      },
      onListed: (entities, revision) => this.listed(entities, revision),
    });
  }

  /** Starts following the store in the background; a store that is down is retried with backoff. */
  start(): void {
    this.follower.start();
  }

  async stop(): Promise<void> {
    await this.follower.stop();
  }

  get(ref: Omit<EntityRef, 'kind'>): Entity<S> | undefined {
    // On every call's path: a key built from the fields, no object spread (which costs microseconds).
    return this.entries.get(`${ref.org}/${ref.project}/${this.options.kind}/${ref.name}`);
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

  /** After a broken watch, what is no longer listed (and not re-created since) is gone. */
  private listed(entities: Entity<S>[], revision: number): void {
    const present = new Set<string>();
    for (const entity of entities) {
      present.add(keyOf(entity));
      this.put(entity);
    }
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
