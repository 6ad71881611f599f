import { randomUUID } from 'node:crypto';
import type { Entity } from '@dispatch/contracts';
import type { EntityUpdate, NewEntity } from './entity-store.js';

/**
 * Building the stored envelope is the same for every implementation; only the revision comes from the
 * backend. The revision is not stored inside the value (etcd assigns it on commit), so both stores add
 * it on read.
 */
export type StoredEntity<S> = Omit<Entity<S>, 'revision'>;

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function newRecord<S>(input: NewEntity<S>): StoredEntity<S> {
  const now = nowSeconds();
  return {
    id: randomUUID(),
    name: input.name,
    kind: input.kind,
    org: input.org,
    project: input.project,
    tags: input.tags ?? [],
    createdTime: now,
    modifiedTime: now,
    status: input.status ?? 'INITIALIZED',
    reason: input.reason ?? [],
    spec: input.spec,
  };
}

export function updatedRecord<S>(current: StoredEntity<unknown>, input: EntityUpdate<S>): StoredEntity<S> {
  return {
    id: current.id,
    name: current.name,
    kind: current.kind,
    org: current.org,
    project: current.project,
    tags: input.tags ?? current.tags,
    createdTime: current.createdTime,
    modifiedTime: nowSeconds(),
    status: input.status ?? current.status,
    reason: input.reason ?? current.reason,
    spec: input.spec,
  };
}

export function withRevision<S>(record: StoredEntity<S>, revision: number): Entity<S> {
  return { ...record, revision };
}
