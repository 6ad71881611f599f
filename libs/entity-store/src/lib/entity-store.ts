import type { Entity, EntityStatus, Tag } from '@dispatch/contracts';

/** Where one entity lives: `/dispatch/<org>/<project>/<kind>/<name>`. */
export interface EntityRef {
  org: string;
  project: string;
  kind: string;
  name: string;
}

/** What a caller hands to `create`: the store fills id, revision and times. */
export interface NewEntity<S = Record<string, unknown>> extends EntityRef {
  spec: S;
  tags?: Tag[];
  status?: EntityStatus;
  reason?: string[];
}

/** What a caller hands to `update`: `revision` is the one it read; the write fails if it moved since. */
export interface EntityUpdate<S = Record<string, unknown>> extends EntityRef {
  revision: number;
  spec: S;
  tags?: Tag[];
  status?: EntityStatus;
  reason?: string[];
}

/**
 * A scope of entities. `list` and `watch` narrow by the leading parts of the key; `kind` without `org`
 * means that kind in every org, which reconcilers use.
 */
export interface EntityScope {
  org?: string;
  project?: string;
  kind?: string;
}

export interface ListQuery extends EntityScope {
  /** Every tag given must be present with that value. */
  tags?: Tag[];
}

export interface WriteOptions {
  /** Attach the entity to a lease: it is deleted when the lease ends. */
  lease?: Lease;
}

export interface DeleteOptions {
  /** Delete only if the entity is still at this revision. */
  revision?: number;
}

export type WatchEvent<S = Record<string, unknown>> =
  | { type: 'put'; revision: number; entity: Entity<S>; created: boolean }
  | { type: 'delete'; revision: number; ref: EntityRef; previous?: Entity<S> };

export interface WatchOptions<S = Record<string, unknown>> {
  /** Replay every change from this revision on before live ones; omitted means from now. */
  fromRevision?: number;
  onEvent: (event: WatchEvent<S>) => void;
  /** The watch ended because of an error (for instance a compacted revision); it delivers no more. */
  onError?: (err: Error) => void;
}

export interface Watch {
  close(): Promise<void>;
}

export interface Lease {
  readonly id: string;
  readonly ttlSeconds: number;
  /** Ends the lease now, deleting every entity attached to it. */
  revoke(): Promise<void>;
  /** Called if the lease expired because keep-alives stopped reaching the store. */
  onLost(listener: (err: Error) => void): void;
}

export interface LockOptions {
  /** How long the lock survives its holder going silent. */
  ttlSeconds?: number;
  /** Give up waiting after this long with UNAVAILABLE; omitted waits for as long as it takes. */
  timeoutMs?: number;
}

export interface LockHandle {
  readonly name: string;
  release(): Promise<void>;
}

/**
 * The entity store contract (DESIGN.md). Implemented on etcd for the distributed shape and embedded
 * for solo; `testing/entity-store.contract.ts` proves both behave the same.
 *
 * Errors are DomainErrors: NOT_FOUND, ALREADY_EXISTS (create of an existing name), REVISION_CONFLICT
 * (update or delete from a stale revision), INVALID_ARGUMENT (bad name, missing org, oversized entity,
 * non-integer revision), REVISION_COMPACTED (watch from a revision no longer kept), UNAVAILABLE.
 */
export interface EntityStore {
  get<S = Record<string, unknown>>(ref: EntityRef): Promise<Entity<S>>;
  list<S = Record<string, unknown>>(query: ListQuery): Promise<Entity<S>[]>;
  create<S = Record<string, unknown>>(entity: NewEntity<S>, options?: WriteOptions): Promise<Entity<S>>;
  update<S = Record<string, unknown>>(entity: EntityUpdate<S>, options?: WriteOptions): Promise<Entity<S>>;
  delete(ref: EntityRef, options?: DeleteOptions): Promise<void>;
  watch<S = Record<string, unknown>>(scope: EntityScope, options: WatchOptions<S>): Promise<Watch>;
  lock(name: string, options?: LockOptions): Promise<LockHandle>;
  grantLease(ttlSeconds: number): Promise<Lease>;
  /** The store's current revision: a watch from `revision() + 1` sees every later change. */
  revision(): Promise<number>;
  /** Cheap round trip used by health checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const ENTITY_STORE = Symbol.for('dispatch.entity-store');
