import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { DomainError, type Entity } from '@dispatch/contracts';
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
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from '../entity-store.js';
import { entityKey, hasTags, inScope, parseEntityKey, scopePrefix } from '../keys.js';
import { newRecord, updatedRecord, withRevision, type StoredEntity } from '../records.js';
import {
  encodeEntity,
  validateExpectedRevision,
  validateList,
  validateNew,
  validateRef,
  validateScope,
  validateUpdate,
} from '../validation.js';
import { alreadyExists, compacted, conflict, notFound } from '../store-errors.js';
import { claimDataDir, releaseDataDir } from './data-dir-claim.js';
import { LocalLocks } from './local-locks.js';
import { LocalLeases } from './local-leases.js';
import type { LogRecord } from './log-record.js';
import { WatchHub } from './watch-hub.js';

export interface EmbeddedStoreOptions {
  /** Directory holding the database; created if missing. */
  dataDir: string;
  /** How many past changes a watch can resume from; older ones are compacted away. */
  historyLimit?: number;
}

/** One key's stored state: the envelope plus the revisions etcd would report for it. */
interface KeyRecord {
  entity: StoredEntity<unknown>;
  createRevision: number;
  modRevision: number;
  lease?: string;
}

type WriteResult<T> = { ok: true; value: T; changes: LogRecord[] } | { ok: false; error: DomainError };

const META_REVISION = 'revision';
const META_COMPACTED = 'compacted';

/**
 * The solo store: LMDB (memory-mapped, transactional, crash-safe) under the data directory. Revisions,
 * the change log and compare-and-set mirror etcd's semantics so the same contract suite passes on both.
 * Locks and leases are in-process: only one process may open a data directory (`claimDataDir`), so a
 * process that holds them is by definition alive, and leased keys left by a dead one are removed on open.
 */
export class EmbeddedEntityStore implements EntityStore {
  private readonly root: RootDatabase;
  private readonly kv: Database<KeyRecord, string>;
  private readonly log: Database<LogRecord, number>;
  private readonly meta: Database<number, string>;
  private readonly hub: WatchHub;
  private readonly locks = new LocalLocks();
  private readonly leases: LocalLeases;
  private readonly historyLimit: number;
  private closed = false;

  private constructor(
    private readonly dataDir: string,
    historyLimit: number,
  ) {
    this.root = open({ path: join(dataDir, 'entities.mdb'), compression: false });
    this.kv = this.root.openDB<KeyRecord, string>({ name: 'kv' });
    this.log = this.root.openDB<LogRecord, number>({ name: 'log' });
    this.meta = this.root.openDB<number, string>({ name: 'meta' });
    this.historyLimit = historyLimit;
    this.hub = new WatchHub(this.currentRevision());
    this.leases = new LocalLeases((id) => this.dropLeasedKeys(id));
  }

  static async open(options: EmbeddedStoreOptions): Promise<EmbeddedEntityStore> {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    claimDataDir(options.dataDir);
    const store = new EmbeddedEntityStore(options.dataDir, options.historyLimit ?? 100_000);
    // Leases died with the process that held them; so do the keys attached to them.
    await store.dropLeasedKeys(undefined);
    return store;
  }

  async get<S>(ref: EntityRef): Promise<Entity<S>> {
    validateRef(ref);
    const record = this.kv.get(entityKey(ref));
    if (!record) throw notFound(ref);
    return withRevision(record.entity as StoredEntity<S>, record.modRevision);
  }

  async list<S>(query: ListQuery): Promise<Entity<S>[]> {
    validateList(query);
    const prefix = scopePrefix(query);
    const out: Entity<S>[] = [];
    for (const { key, value } of this.kv.getRange({ start: prefix, end: prefix + '\uffff' })) {
      const ref = parseEntityKey(key);
      if (!ref || !inScope(ref, query)) continue;
      const entity = withRevision(value.entity as StoredEntity<S>, value.modRevision);
      if (hasTags(entity, query.tags)) out.push(entity);
    }
    return out;
  }

  async create<S>(input: NewEntity<S>, options?: WriteOptions): Promise<Entity<S>> {
    validateNew(input);
    const key = entityKey(input);
    const record = newRecord(input);
    encodeEntity(record, input);
    const leaseId = options?.lease ? this.leases.require(options.lease.id) : undefined;
    const result = await this.write((rev) => {
      if (this.kv.get(key)) return { ok: false, error: alreadyExists(input) };
      this.kv.putSync(key, { entity: record, createRevision: rev, modRevision: rev, lease: leaseId });
      return {
        ok: true,
        value: rev,
        changes: [{ revision: rev, type: 'put', key, entity: record, created: true }],
      };
    });
    if (leaseId) this.leases.attach(leaseId, key);
    return withRevision(record, result);
  }

  async update<S>(input: EntityUpdate<S>, options?: WriteOptions): Promise<Entity<S>> {
    validateUpdate(input);
    const key = entityKey(input);
    const leaseId = options?.lease ? this.leases.require(options.lease.id) : undefined;
    let written: StoredEntity<S> | undefined;
    const rev = await this.write((rev) => {
      const current = this.kv.get(key);
      if (!current) return { ok: false, error: notFound(input) };
      if (current.modRevision !== input.revision)
        return { ok: false, error: conflict(input, current.modRevision) };
      written = updatedRecord(current.entity, input);
      encodeEntity(written, input);
      this.kv.putSync(key, {
        entity: written,
        createRevision: current.createRevision,
        modRevision: rev,
        lease: leaseId ?? current.lease,
      });
      return {
        ok: true,
        value: rev,
        changes: [
          {
            revision: rev,
            type: 'put',
            key,
            entity: written,
            previous: withRevision(current.entity, current.modRevision),
            created: false,
          },
        ],
      };
    });
    if (leaseId) this.leases.attach(leaseId, key);
    return withRevision(written as StoredEntity<S>, rev);
  }

  async delete(ref: EntityRef, options?: DeleteOptions): Promise<void> {
    validateRef(ref);
    const expected = validateExpectedRevision(options?.revision);
    const key = entityKey(ref);
    await this.write((rev) => {
      const current = this.kv.get(key);
      if (!current) return { ok: false, error: notFound(ref) };
      if (expected !== undefined && current.modRevision !== expected) {
        return { ok: false, error: conflict(ref, current.modRevision) };
      }
      this.kv.removeSync(key);
      return {
        ok: true,
        value: rev,
        changes: [
          { revision: rev, type: 'delete', key, previous: withRevision(current.entity, current.modRevision) },
        ],
      };
    });
  }

  async watch<S>(scope: EntityScope, options: WatchOptions<S>): Promise<Watch> {
    validateScope(scope);
    const from = validateExpectedRevision(options.fromRevision);
    const compactedTo = this.meta.get(META_COMPACTED) ?? 0;
    if (from !== undefined && from <= compactedTo) throw compacted(from, compactedTo + 1);
    const prefix = scopePrefix(scope);
    const wants = (record: LogRecord) => {
      if (!record.key.startsWith(prefix)) return false;
      const ref = parseEntityKey(record.key);
      return ref !== undefined && inScope(ref, scope);
    };
    const deliver = (record: LogRecord) => {
      const event = toWatchEvent<S>(record);
      if (event) options.onEvent(event);
    };
    // Reads are synchronous, so replaying the log and joining the live stream happen with no write in
    // between: nothing is missed and nothing is delivered twice.
    const backlog =
      from === undefined ? [] : [...this.log.getRange({ start: from }).map(({ value }) => value)];
    return this.hub.add(backlog, this.currentRevision(), { wants, deliver, onError: options.onError });
  }

  async lock(name: string, options?: LockOptions): Promise<LockHandle> {
    this.assertOpen();
    return this.locks.acquire(name, options?.timeoutMs);
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    this.assertOpen();
    return this.leases.grant(ttlSeconds);
  }

  async revision(): Promise<number> {
    return this.currentRevision();
  }

  async ping(): Promise<void> {
    this.assertOpen();
    this.meta.get(META_REVISION);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.closeAll();
    this.leases.closeAll();
    await this.root.close();
    releaseDataDir(this.dataDir);
  }

  private currentRevision(): number {
    return this.meta.get(META_REVISION) ?? 0;
  }

  /**
   * Runs a write in an LMDB transaction. LMDB queues asynchronous transactions and runs them one after
   * another, batching commits, so revisions are handed out in order without blocking the event loop on
   * the disk. Refusals are returned, not thrown, so one bad write cannot abort its batch.
   */
  private async write<T>(body: (revision: number) => WriteResult<T>): Promise<T> {
    this.assertOpen();
    const result = await this.root.transaction(() => {
      const revision = this.currentRevision() + 1;
      const outcome = body(revision);
      if (!outcome.ok) return outcome;
      this.commitChanges(outcome.changes);
      return outcome;
    });
    if (!result.ok) throw result.error;
    this.hub.publish(result.changes);
    return result.value;
  }

  /** Inside a transaction: appends the changes to the log, moves the revision, trims old history. */
  private commitChanges(changes: LogRecord[]): void {
    const last = changes[changes.length - 1];
    if (!last) return;
    for (const change of changes) this.log.putSync(change.revision, change);
    this.meta.putSync(META_REVISION, last.revision);
    const compacted = this.meta.get(META_COMPACTED) ?? 0;
    // Trim in slices of a tenth of the limit so the log is not rewritten on every write.
    if (last.revision - compacted > this.historyLimit * 1.1) {
      const upTo = last.revision - this.historyLimit;
      for (const rev of this.log.getKeys({ start: compacted + 1, end: upTo + 1 })) this.log.removeSync(rev);
      this.meta.putSync(META_COMPACTED, upTo);
    }
  }

  /** Deletes the keys attached to one lease, or to any lease at all when `leaseId` is undefined. */
  private async dropLeasedKeys(leaseId: string | undefined): Promise<void> {
    if (this.closed) return;
    await this.write((first) => {
      const changes: LogRecord[] = [];
      for (const { key, value } of this.kv.getRange({ start: '/', end: '\uffff' })) {
        if (!value.lease || (leaseId !== undefined && value.lease !== leaseId)) continue;
        this.kv.removeSync(key);
        changes.push({
          revision: first + changes.length,
          type: 'delete',
          key,
          previous: withRevision(value.entity, value.modRevision),
        });
      }
      return { ok: true, value: undefined, changes };
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new DomainError('UNAVAILABLE', 'the entity store is closed');
  }
}

function toWatchEvent<S>(record: LogRecord): WatchEvent<S> | undefined {
  const ref = parseEntityKey(record.key);
  if (!ref) return undefined;
  if (record.type === 'put' && record.entity) {
    return {
      type: 'put',
      revision: record.revision,
      entity: withRevision(record.entity as StoredEntity<S>, record.revision),
      created: record.created ?? false,
    };
  }
  return {
    type: 'delete',
    revision: record.revision,
    ref,
    previous: record.previous as Entity<S> | undefined,
  };
}
