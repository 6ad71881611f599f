import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DomainError, SYSTEM_ORG } from '@dispatch/contracts';
import type { EntityStore } from '@dispatch/entity-store';

/**
 * Where the console keeps what outlives one call (sessions, sign-ins waiting for the provider), by a
 * key the browser's cookie leads to. In solo, this process's memory; in the distributed shape the
 * entity store, so that any api-gateway replica serves any user.
 */
export interface ConsoleRecords<T> {
  get(key: string): Promise<T | undefined>;
  put(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
  /** Deletes every record `expired` says is past its time (a store's, now and then). */
  sweep(expired: (value: T) => boolean): Promise<void>;
}

/** Records in this process, at most `max` (the least recently used go first). */
export function memoryRecords<T extends object>(max: number, ttlMs: number): ConsoleRecords<T> {
  const records = new LRUCache<string, T>({ max, ttl: ttlMs });
  return {
    get: async (key) => records.get(key),
    put: async (key, value) => void records.set(key, value),
    delete: async (key) => void records.delete(key),
    sweep: async (expired) => {
      for (const [key, value] of records.entries()) if (expired(value)) records.delete(key);
    },
  };
}

/**
 * Records as entities of `kind` in the platform's own org (`dispatch-system`, which no tenant can
 * reach), project `console`, named by the key (a hash: the cookie itself is never stored).
 */
export function storeRecords<T extends object>(store: EntityStore, kind: string): ConsoleRecords<T> {
  const ref = (name: string) => ({ org: SYSTEM_ORG, project: 'console', kind, name });
  const missing = (err: unknown) => err instanceof DomainError && err.code === 'NOT_FOUND';
  return {
    get: async (key) => {
      try {
        return (await store.get<T>(ref(key))).spec;
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    put: async (key, value) => {
      try {
        const current = await store.get<T>(ref(key));
        await store.update<T>({ ...ref(key), revision: current.revision, spec: value });
      } catch (err) {
        if (!missing(err)) throw err;
        await store.create<T>({ ...ref(key), spec: value });
      }
    },
    delete: async (key) => {
      await store.delete(ref(key)).catch((err: unknown) => {
        if (!missing(err)) throw err;
      });
    },
    sweep: async (expired) => {
      const all = await store.list<T>({ org: SYSTEM_ORG, project: 'console', kind });
      for (const entity of all.filter((e) => expired(e.spec)))
        await store
          .delete({ ...ref(entity.name) }, { revision: entity.revision })
          .catch((err: unknown) =>
            new Logger('console').debug(`a sweep skipped ${entity.name}: ${String(err)}`),
          );
    },
  };
}
