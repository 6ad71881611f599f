import { DomainError, type Entity } from '@dispatch/contracts';
import {
  Etcd3,
  EtcdError,
  type IKeyValue,
  type IOptions,
  type Lease as EtcdLease,
  type Namespace,
} from 'etcd3';
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
import { hasTags, inScope, LOCK_ROOT } from '../keys.js';
import { newRecord, updatedRecord, withRevision, type StoredEntity } from '../records.js';
import { alreadyExists, compacted, conflict, notFound } from '../store-errors.js';
import {
  encodeEntity,
  validateExpectedRevision,
  validateList,
  validateNew,
  validateRef,
  validateScope,
  validateUpdate,
} from '../validation.js';
import { EtcdLock } from './etcd-lock.js';
import { etcdKey, etcdScopePrefix, LEGACY_ENTITY_ROOT, parseEtcdKey, parseLegacyKey } from './etcd-keys.js';

export interface EtcdStoreOptions {
  /** e.g. `['http://127.0.0.1:2379']`. */
  endpoints: string[];
  /** Per-call deadline; a down etcd answers UNAVAILABLE after this rather than hanging a request. */
  timeoutMs?: number;
  /**
   * A key prefix every key of this installation goes under (e.g. `/tenant-a/`), so installations can
   * share one etcd cluster without meeting; none by default.
   */
  namespace?: string;
}

/**
 * The distributed store: entities under `/dispatch-entities/<kind>/<org>/<project>/<name>` in etcd (kind
 * first, so a watch of one kind hears only that kind's writes; see etcd-keys.ts). Revisions are
 * etcd's mod revisions; create and update are transactions comparing the key's create or mod revision,
 * so concurrent writers are serialised by etcd itself.
 */
export class EtcdEntityStore implements EntityStore {
  private readonly root: Etcd3;
  private readonly client: Namespace;
  private readonly leases = new Map<string, EtcdLease>();
  private migrated?: Promise<void>;

  constructor(options: EtcdStoreOptions) {
    const clientOptions: IOptions = {
      hosts: options.endpoints,
      defaultCallOptions: () => ({ deadline: Date.now() + (options.timeoutMs ?? 5000) }),
    };
    this.root = new Etcd3(clientOptions);
    this.client = options.namespace ? this.root.namespace(options.namespace) : this.root;
  }

  async get<S>(ref: EntityRef): Promise<Entity<S>> {
    validateRef(ref);
    const res = await this.call(() => this.client.get(etcdKey(ref)).exec());
    const kv = res.kvs[0];
    if (!kv) throw notFound(ref);
    return decode<S>(kv);
  }

  async list<S>(query: ListQuery): Promise<Entity<S>[]> {
    validateList(query);
    const res = await this.call(() => this.client.getAll().prefix(etcdScopePrefix(query)).exec());
    const out: Entity<S>[] = [];
    for (const kv of res.kvs) {
      const ref = parseEtcdKey(kv.key.toString());
      if (!ref || !inScope(ref, query)) continue;
      const entity = decode<S>(kv);
      if (hasTags(entity, query.tags)) out.push(entity);
    }
    return out;
  }

  async create<S>(input: NewEntity<S>, options?: WriteOptions): Promise<Entity<S>> {
    validateNew(input);
    const key = etcdKey(input);
    const record = newRecord(input);
    const value = encodeEntity(record, input);
    const put = this.client.put(key).value(value);
    if (options?.lease) put.lease(this.leaseId(options.lease));
    const res = await this.call(() => this.client.if(key, 'Create', '==', 0).then(put).commit());
    if (!res.succeeded) throw alreadyExists(input);
    return withRevision(record, Number(res.header.revision));
  }

  async update<S>(input: EntityUpdate<S>, options?: WriteOptions): Promise<Entity<S>> {
    validateUpdate(input);
    const key = etcdKey(input);
    const current = await this.call(() => this.client.get(key).exec());
    const kv = current.kvs[0];
    if (!kv) throw notFound(input);
    if (Number(kv.mod_revision) !== input.revision) throw conflict(input, Number(kv.mod_revision));
    const record = updatedRecord(parseRecord(kv), input);
    const value = encodeEntity(record, input);
    const put = this.client.put(key).value(value);
    // Keep the lease the entity was created with unless the caller moves it to another.
    const lease = options?.lease ? this.leaseId(options.lease) : kv.lease !== '0' ? kv.lease : undefined;
    if (lease) put.lease(lease);
    const res = await this.call(() => this.client.if(key, 'Mod', '==', input.revision).then(put).commit());
    if (!res.succeeded) throw conflict(input, undefined);
    return withRevision(record, Number(res.header.revision));
  }

  async delete(ref: EntityRef, options?: DeleteOptions): Promise<void> {
    validateRef(ref);
    const expected = validateExpectedRevision(options?.revision);
    const key = etcdKey(ref);
    if (expected === undefined) {
      const res = await this.call(() => this.client.delete().key(key).exec());
      if (Number(res.deleted) === 0) throw notFound(ref);
      return;
    }
    const res = await this.call(() =>
      this.client.if(key, 'Mod', '==', expected).then(this.client.delete().key(key)).commit(),
    );
    if (res.succeeded) return;
    const now = await this.call(() => this.client.get(key).exec());
    const kv = now.kvs[0];
    throw kv ? conflict(ref, Number(kv.mod_revision)) : notFound(ref);
  }

  async watch<S>(scope: EntityScope, options: WatchOptions<S>): Promise<Watch> {
    validateScope(scope);
    const from = validateExpectedRevision(options.fromRevision);
    const builder = this.client.watch().prefix(etcdScopePrefix(scope)).withPreviousKV();
    if (from !== undefined) builder.startRevision(String(from));
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      void watcher.cancel().catch(() => undefined);
      options.onError?.(err);
    };
    const watcher = await this.call(() => builder.create());
    watcher.on('data', (res) => {
      if (res.compact_revision !== '0' && from !== undefined) {
        fail(compacted(from, Number(res.compact_revision)));
        return;
      }
      for (const ev of res.events) {
        if (failed) return;
        const event = toWatchEvent<S>(ev.type, ev.kv, ev.prev_kv);
        if (!event || !inScope(event.type === 'put' ? event.entity : event.ref, scope)) continue;
        try {
          options.onEvent(event);
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
        }
      }
    });
    watcher.on('error', (err: Error) => {
      fail(/compact/i.test(err.message) && from !== undefined ? compacted(from, from) : err);
    });
    return { close: () => watcher.cancel() };
  }

  async lock(name: string, options?: LockOptions): Promise<LockHandle> {
    const lock = new EtcdLock(this.client, `${LOCK_ROOT}${name}`, name, options?.ttlSeconds ?? 30);
    return this.call(() => lock.acquire(options?.timeoutMs));
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new DomainError(
        'INVALID_ARGUMENT',
        `lease TTL must be a whole number of seconds >= 1, got ${ttlSeconds}`,
      );
    }
    const lease = this.client.lease(ttlSeconds);
    const id = await this.call(() => lease.grant());
    this.leases.set(id, lease);
    const listeners: ((err: Error) => void)[] = [];
    lease.on('lost', (err: Error) => {
      this.leases.delete(id);
      for (const l of listeners) l(err);
    });
    return {
      id,
      ttlSeconds,
      revoke: async () => {
        this.leases.delete(id);
        await this.call(() => lease.revoke());
      },
      onLost: (listener) => listeners.push(listener),
    };
  }

  async revision(): Promise<number> {
    const res = await this.call(() => this.client.get(LOCK_ROOT).exec());
    return Number(res.header.revision);
  }

  async ping(): Promise<void> {
    await this.revision();
  }

  async close(): Promise<void> {
    for (const lease of this.leases.values()) await lease.revoke().catch(() => undefined);
    this.leases.clear();
    this.root.close();
  }

  private leaseId(lease: Lease): string {
    if (!this.leases.has(lease.id))
      throw new DomainError('INVALID_ARGUMENT', `lease ${lease.id} is not live`);
    return lease.id;
  }

  /**
   * Moves the entities an earlier version kept org first (`/dispatch/<org>/<project>/<kind>/<name>`) to
   * their kind-first keys, each in a transaction that moves it only while it is as read and its new key
   * is free, so replicas starting together move each once. Runs before this store's first call.
   */
  private async migrate(): Promise<void> {
    const old = await retryUnsent(() => this.client.getAll().prefix(LEGACY_ENTITY_ROOT).exec());
    for (const kv of old.kvs) {
      const key = kv.key.toString();
      const ref = parseLegacyKey(key);
      if (!ref) continue;
      const put = this.client.put(etcdKey(ref)).value(kv.value);
      if (kv.lease !== '0') put.lease(kv.lease);
      await retryUnsent(() =>
        this.client
          .if(key, 'Mod', '==', kv.mod_revision)
          .and(etcdKey(ref), 'Create', '==', 0)
          .then(put, this.client.delete().key(key))
          .commit(),
      );
    }
  }

  /** Turns etcd's transport failures into UNAVAILABLE; DomainErrors pass through. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await (this.migrated ??= this.migrate().catch((err: unknown) => {
        this.migrated = undefined;
        throw err;
      }));
      return await retryUnsent(fn);
    } catch (err) {
      if (err instanceof DomainError) throw err;
      if (
        err instanceof EtcdError ||
        (err instanceof Error && /deadline|unavailable|connect/i.test(err.message))
      ) {
        throw new DomainError('UNAVAILABLE', `etcd is unavailable: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
}

/** What grpc-js says of a call made on a channel that was closed before the call went out. */
const UNSENT = /Channel closed before call started/;

/**
 * Makes a call again when it never went out. When a watch or lease stream of the client fails, etcd3
 * closes the host's channel and opens a new one (`resetAllServices`); a call that picked the old
 * channel in that instant fails with UNSENT, having sent nothing, so it is safe to make again, writes
 * included. Seen when another replica of a service stopped while this one was answering.
 */
export async function retryUnsent<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !(err instanceof Error && UNSENT.test(err.message))) throw err;
    }
  }
}

function parseRecord(kv: IKeyValue): StoredEntity<unknown> {
  return JSON.parse(kv.value.toString()) as StoredEntity<unknown>;
}

function decode<S>(kv: IKeyValue): Entity<S> {
  return withRevision(parseRecord(kv) as StoredEntity<S>, Number(kv.mod_revision));
}

function toWatchEvent<S>(
  type: string,
  kv: IKeyValue,
  prev: IKeyValue | undefined,
): WatchEvent<S> | undefined {
  const ref = parseEtcdKey(kv.key.toString());
  if (!ref) return undefined;
  if (type === 'Put') {
    return {
      type: 'put',
      revision: Number(kv.mod_revision),
      entity: decode<S>(kv),
      created: kv.version === '1',
    };
  }
  return {
    type: 'delete',
    revision: Number(kv.mod_revision),
    ref,
    previous: prev ? decode<S>(prev) : undefined,
  };
}
