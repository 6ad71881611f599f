import type { Entity } from '@dispatch/contracts';
import type {
  DeleteOptions,
  EntityRef,
  EntityScope,
  EntityStore,
  EntityUpdate,
  Lease,
  ListQuery,
  LockHandle,
  LockOptions,
  NewEntity,
  Watch,
  WatchOptions,
  WriteOptions,
} from '@dispatch/entity-store';

/**
 * An entity store that hands every call to the store it wraps: the base of the platform's decorators
 * (publishing domain events, timing requests), each overriding only the calls it changes.
 */
export class DelegatingEntityStore implements EntityStore {
  constructor(protected readonly store: EntityStore) {}

  get<S = Record<string, unknown>>(ref: EntityRef): Promise<Entity<S>> {
    return this.store.get<S>(ref);
  }

  list<S = Record<string, unknown>>(query: ListQuery): Promise<Entity<S>[]> {
    return this.store.list<S>(query);
  }

  create<S = Record<string, unknown>>(entity: NewEntity<S>, options?: WriteOptions): Promise<Entity<S>> {
    return this.store.create(entity, options);
  }

  update<S = Record<string, unknown>>(entity: EntityUpdate<S>, options?: WriteOptions): Promise<Entity<S>> {
    return this.store.update(entity, options);
  }

  delete(ref: EntityRef, options?: DeleteOptions): Promise<void> {
    return this.store.delete(ref, options);
  }

  watch<S = Record<string, unknown>>(scope: EntityScope, options: WatchOptions<S>): Promise<Watch> {
    return this.store.watch<S>(scope, options);
  }

  lock(name: string, options?: LockOptions): Promise<LockHandle> {
    return this.store.lock(name, options);
  }

  grantLease(ttlSeconds: number): Promise<Lease> {
    return this.store.grantLease(ttlSeconds);
  }

  revision(): Promise<number> {
    return this.store.revision();
  }

  ping(): Promise<void> {
    return this.store.ping();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
