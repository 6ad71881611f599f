import { createHash } from 'node:crypto';
import { DomainError, SYSTEM_ORG } from '@dispatch/contracts';
import type { EntityStore } from '@dispatch/entity-store';

/**
 * The first host user of a tenant's sandbox, high above the ranges distributions hand to people and
 * to subordinate ids (/etc/subuid), and the end of the range (below 2^31, as many tools need).
 */
export const FIRST_TENANT_UID = 1_900_000_000;
const LAST_TENANT_UID = 2_099_999_999;

const COUNTER = { org: SYSTEM_ORG, project: 'sandbox', kind: 'uidcounter', name: 'next' };
const KEYED = { org: SYSTEM_ORG, project: 'sandbox', kind: 'uid' };

/**
 * Hands out the host user a tenant's sandbox runs as (a function's, an image's builds', a driver's),
 * from one counter in the entity store, so every replica of every service hands out distinct users and
 * none is ever handed out twice: whatever one tenant's processes leave behind can never be another's.
 * The caller keeps the user with the entity it belongs to.
 */
export async function allocateSandboxUid(store: EntityStore): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    try {
      const current = await store.get<{ next: number }>(COUNTER).catch((err: unknown) => {
        if (err instanceof DomainError && err.code === 'NOT_FOUND') return undefined;
        throw err;
      });
      if (!current) {
        await store.create({ ...COUNTER, status: 'READY', spec: { next: FIRST_TENANT_UID + 1 } });
        return FIRST_TENANT_UID;
      }
      const uid = current.spec.next;
      if (uid > LAST_TENANT_UID)
        throw new DomainError('RESOURCE_EXHAUSTED', 'no tenant user is left to hand out');
      await store.update({ ...current, spec: { next: uid + 1 } });
      return uid;
    } catch (err) {
      // Another replica took the same number first: read the counter again.
      if (err instanceof DomainError && (err.code === 'REVISION_CONFLICT' || err.code === 'ALREADY_EXISTS'))
        continue;
      throw err;
    }
  }
  throw new DomainError('UNAVAILABLE', 'could not hand out a tenant user: the counter is too contended');
}

/**
 * The host user of one thing that keeps its user for good (an organisation's image builds, which share
 * a package cache; a driver): handed out once from the counter, then read back from the store.
 */
export async function sandboxUidFor(store: EntityStore, key: string): Promise<number> {
  const ref = { ...KEYED, name: createHash('sha256').update(key).digest('hex').slice(0, 40) };
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const known = await store.get<{ uid: number }>(ref).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    });
    if (known) return known.spec.uid;
    const uid = await allocateSandboxUid(store);
    try {
      await store.create({ ...ref, status: 'READY', spec: { uid, key } });
      return uid;
    } catch (err) {
      // Another replica gave the key its user first: that one it is.
      if (!(err instanceof DomainError && err.code === 'ALREADY_EXISTS')) throw err;
    }
  }
  throw new DomainError('UNAVAILABLE', `could not give ${key} a tenant user`);
}
