import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DomainError } from '@dispatch/contracts';
import type { EntityStore, NewEntity, WatchEvent } from '../entity-store.js';
import { MAX_ENTITY_BYTES } from '../validation.js';

/** Every test works in an org of its own, so suites can share one etcd. */
const freshOrg = () => `org-${randomUUID().slice(0, 8)}`;

function fn(org: string, name: string, spec: Record<string, unknown> = { handler: './hello.js' }): NewEntity {
  return { org, project: 'default', kind: 'function', name, spec };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  return 'OK';
}

/** Collects watch events until `count` arrived or the time runs out. */
function collector() {
  const events: WatchEvent[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    events,
    onEvent: (e: WatchEvent) => {
      events.push(e);
      for (const w of waiters.filter((w) => events.length >= w.count)) w.resolve();
    },
    waitFor: (count: number, ms = 20_000) =>
      new Promise<void>((resolve, reject) => {
        if (events.length >= count) return resolve();
        const timer = setTimeout(() => reject(new Error(`got ${events.length} of ${count} events`)), ms);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ContractOptions {
  /**
   * How many writes the store made since `revision`. By default the store's revision moving at all;
   * a store whose revision is shared with other writers (etcd's is cluster-wide, and other suites
   * write to the same etcd at the same time) counts only its own keys.
   */
  writesSince?: (store: EntityStore, revision: number) => Promise<number>;
}

/**
 * The entity store contract: the same behaviour from every implementation. `open` returns a store;
 * the suite closes it at the end.
 */
export function describeEntityStoreContract(
  name: string,
  open: () => Promise<EntityStore>,
  options: ContractOptions = {},
): void {
  const writesSince =
    options.writesSince ??
    (async (store: EntityStore, revision: number) => (await store.revision()) - revision);
  describe(`${name} entity store contract`, () => {
    let store: EntityStore;

    beforeAll(async () => {
      store = await open();
    });

    afterAll(async () => {
      await store.close();
    });

    describe('create and get', () => {
      it('stores the envelope and hands it back', async () => {
        const org = freshOrg();
        const created = await store.create({
          ...fn(org, 'hello'),
          tags: [{ key: 'Application', value: 'demo' }],
        });
        expect(created).toMatchObject({
          name: 'hello',
          kind: 'function',
          org,
          project: 'default',
          status: 'INITIALIZED',
          reason: [],
          tags: [{ key: 'Application', value: 'demo' }],
          spec: { handler: './hello.js' },
        });
        expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(created.revision).toBeGreaterThan(0);
        expect(created.createdTime).toBeGreaterThan(1_600_000_000);
        expect(await store.get(created)).toEqual(created);
      });

      it('refuses a second entity of the same name and keeps the first', async () => {
        const org = freshOrg();
        const first = await store.create(fn(org, 'hello', { v: 1 }));
        expect(await codeOf(store.create(fn(org, 'hello', { v: 2 })))).toBe('ALREADY_EXISTS');
        expect(await store.get(first)).toEqual(first);
      });

      it('lets the same name live in two orgs and two projects', async () => {
        const a = freshOrg();
        const b = freshOrg();
        await store.create(fn(a, 'hello', { org: 'a' }));
        await store.create(fn(b, 'hello', { org: 'b' }));
        await store.create({ ...fn(a, 'hello', { org: 'a2' }), project: 'other' });
        expect(
          (await store.get({ org: a, project: 'default', kind: 'function', name: 'hello' })).spec,
        ).toEqual({ org: 'a' });
        expect(
          (await store.get({ org: b, project: 'default', kind: 'function', name: 'hello' })).spec,
        ).toEqual({ org: 'b' });
        expect((await store.get({ org: a, project: 'other', kind: 'function', name: 'hello' })).spec).toEqual(
          { org: 'a2' },
        );
      });

      it('answers NOT_FOUND for a missing entity', async () => {
        expect(
          await codeOf(store.get({ org: freshOrg(), project: 'default', kind: 'function', name: 'nope' })),
        ).toBe('NOT_FOUND');
      });
    });

    describe('list', () => {
      it('lists by org, project and kind, and filters by tags', async () => {
        const org = freshOrg();
        const other = freshOrg();
        const app = [{ key: 'Application', value: 'shop' }];
        await store.create({ ...fn(org, 'a'), tags: app });
        await store.create(fn(org, 'b'));
        await store.create({ ...fn(org, 'c'), project: 'p2' });
        await store.create({ org, project: 'default', kind: 'image', name: 'a', spec: {}, tags: app });
        await store.create(fn(other, 'a'));

        const names = (list: { name: string; kind: string }[]) =>
          list.map((e) => `${e.kind}/${e.name}`).sort();
        expect(names(await store.list({ org, project: 'default', kind: 'function' }))).toEqual([
          'function/a',
          'function/b',
        ]);
        expect(names(await store.list({ org, project: 'default' }))).toEqual([
          'function/a',
          'function/b',
          'image/a',
        ]);
        expect(names(await store.list({ org }))).toEqual([
          'function/a',
          'function/b',
          'function/c',
          'image/a',
        ]);
        expect(names(await store.list({ org, project: 'default', tags: app }))).toEqual([
          'function/a',
          'image/a',
        ]);
        const everyOrg = await store.list({ kind: 'function' });
        expect(everyOrg.filter((e) => e.org === org || e.org === other)).toHaveLength(4);
      });
    });

    describe('update', () => {
      it('writes over the revision it read and moves the revision on', async () => {
        const created = await store.create(fn(freshOrg(), 'hello'));
        const updated = await store.update({ ...created, spec: { handler: './v2.js' }, status: 'READY' });
        expect(updated.revision).toBeGreaterThan(created.revision);
        expect(updated).toMatchObject({ id: created.id, createdTime: created.createdTime, status: 'READY' });
        expect(updated.spec).toEqual({ handler: './v2.js' });
        expect(await store.get(created)).toEqual(updated);
      });

      it('refuses a write from a stale revision and keeps the newer one', async () => {
        const created = await store.create(fn(freshOrg(), 'hello'));
        const first = await store.update({ ...created, spec: { v: 1 } });
        expect(await codeOf(store.update({ ...created, spec: { v: 2 } }))).toBe('REVISION_CONFLICT');
        expect(await store.get(created)).toEqual(first);
      });

      it('lets exactly one of 20 concurrent writers from one revision win', async () => {
        const created = await store.create(fn(freshOrg(), 'hot'));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => codeOf(store.update({ ...created, spec: { writer: i } }))),
        );
        expect(results.filter((r) => r === 'OK')).toHaveLength(1);
        expect(results.filter((r) => r === 'REVISION_CONFLICT')).toHaveLength(19);
        const winner = results.indexOf('OK');
        expect((await store.get(created)).spec).toEqual({ writer: winner });
      });

      it('answers NOT_FOUND when updating a missing entity', async () => {
        const ref = { org: freshOrg(), project: 'default', kind: 'function', name: 'nope' };
        expect(await codeOf(store.update({ ...ref, revision: 1, spec: {} }))).toBe('NOT_FOUND');
      });
    });

    describe('delete', () => {
      it('removes the entity', async () => {
        const created = await store.create(fn(freshOrg(), 'hello'));
        await store.delete(created);
        expect(await codeOf(store.get(created))).toBe('NOT_FOUND');
        expect(await codeOf(store.delete(created))).toBe('NOT_FOUND');
      });

      it('refuses a delete from a stale revision', async () => {
        const created = await store.create(fn(freshOrg(), 'hello'));
        const updated = await store.update({ ...created, spec: { v: 2 } });
        expect(await codeOf(store.delete(created, { revision: created.revision }))).toBe('REVISION_CONFLICT');
        await store.delete(created, { revision: updated.revision });
        expect(await codeOf(store.get(created))).toBe('NOT_FOUND');
      });
    });

    describe('bad input', () => {
      const cases: [string, unknown, string][] = [
        ['a name with a space', { name: 'bad name' }, 'name'],
        ['a name ending in a hyphen', { name: 'bad-' }, 'name'],
        ['a missing org', { org: undefined }, 'org'],
        ['an org with a slash', { org: 'a/b' }, 'org'],
        ['a missing project', { project: '' }, 'project'],
        ['a kind with a slash', { kind: 'fun/ction' }, 'kind'],
        ['a spec that is not an object', { spec: 'text' }, 'spec'],
        ['an unknown status', { status: 'DONE' }, 'status'],
        ['tags that are not a list', { tags: { a: 'b' } }, 'tags'],
      ];

      it.each(cases)(
        'refuses %s on create, naming the field, and stores nothing',
        async (_what, patch, field) => {
          const org = freshOrg();
          const before = await store.revision();
          const input = { ...fn(org, 'ok'), ...(patch as object) } as NewEntity;
          const err = await store.create(input).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(DomainError);
          expect((err as DomainError).code).toBe('INVALID_ARGUMENT');
          expect((err as DomainError).message).toContain(field);
          expect(await store.list({ org })).toEqual([]);
          expect(await writesSince(store, before)).toBe(0);
        },
      );

      it('refuses an oversized entity and keeps the stored one', async () => {
        const created = await store.create(fn(freshOrg(), 'big'));
        const huge = { blob: 'x'.repeat(MAX_ENTITY_BYTES + 1) };
        const err = (await store.update({ ...created, spec: huge }).catch((e: unknown) => e)) as DomainError;
        expect(err.code).toBe('PAYLOAD_TOO_LARGE');
        expect(err.message).toMatch(/over the \d+-byte limit/);
        expect(await codeOf(store.create({ ...fn(created.org, 'big2'), spec: huge }))).toBe(
          'PAYLOAD_TOO_LARGE',
        );
        expect(await store.get(created)).toEqual(created);
        expect(await codeOf(store.get({ ...created, name: 'big2' }))).toBe('NOT_FOUND');
      });

      it.each([
        ['a string', '5'],
        ['a fraction', 1.5],
        ['zero', 0],
        ['missing', undefined],
      ])('refuses an expected revision that is %s', async (_what, revision) => {
        const created = await store.create(fn(freshOrg(), 'rev'));
        const err = (await store
          .update({ ...created, revision: revision as number, spec: { changed: true } })
          .catch((e: unknown) => e)) as DomainError;
        expect(err.code).toBe('INVALID_ARGUMENT');
        expect(err.message).toContain('revision');
        expect(await store.get(created)).toEqual(created);
      });
    });

    describe('watch', () => {
      it('delivers every change once, in revision order', async () => {
        const org = freshOrg();
        const seen = collector();
        const watch = await store.watch({ org }, { onEvent: seen.onEvent });
        const a = await store.create(fn(org, 'a'));
        const b = await store.create(fn(org, 'b'));
        const a2 = await store.update({ ...a, spec: { v: 2 } });
        await store.delete(b);
        await seen.waitFor(4);
        await sleep(100);
        await watch.close();
        expect(seen.events.map((e) => `${e.type}:${e.type === 'put' ? e.entity.name : e.ref.name}`)).toEqual([
          'put:a',
          'put:b',
          'put:a',
          'delete:b',
        ]);
        const revisions = seen.events.map((e) => e.revision);
        expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
        expect(revisions[0]).toBe(a.revision);
        expect(revisions[2]).toBe(a2.revision);
        const [first, , third, fourth] = seen.events;
        expect(first?.type === 'put' && first.created).toBe(true);
        expect(third?.type === 'put' && third.created).toBe(false);
        expect(fourth?.type === 'delete' && fourth.previous?.name).toBe('b');
      });

      it('resumes from a past revision with every change after it, once each, then live ones', async () => {
        const org = freshOrg();
        const a = await store.create(fn(org, 'a'));
        await store.update({ ...a, spec: { v: 2 } });
        await store.create(fn(org, 'b'));
        const seen = collector();
        const watch = await store.watch({ org }, { fromRevision: a.revision, onEvent: seen.onEvent });
        await store.create(fn(org, 'c'));
        await seen.waitFor(4);
        await sleep(100);
        await watch.close();
        expect(seen.events.map((e) => (e.type === 'put' ? e.entity.name : e.ref.name))).toEqual([
          'a',
          'a',
          'b',
          'c',
        ]);
        const revisions = seen.events.map((e) => e.revision);
        expect(new Set(revisions).size).toBe(4);
        expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
      });

      it('keeps every change of 20 concurrent writers in order', async () => {
        const org = freshOrg();
        const seen = collector();
        const watch = await store.watch({ org }, { onEvent: seen.onEvent });
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(fn(org, `f${i}`))));
        await seen.waitFor(20);
        await watch.close();
        const revisions = seen.events.map((e) => e.revision);
        expect(new Set(revisions).size).toBe(20);
        expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
      });

      it('watches one kind across every org', async () => {
        const org = freshOrg();
        const seen = collector();
        const watch = await store.watch({ kind: 'image' }, { onEvent: seen.onEvent });
        await store.create(fn(org, 'not-an-image'));
        await store.create({ org, project: 'default', kind: 'image', name: 'img', spec: {} });
        await seen.waitFor(1);
        await sleep(200);
        await watch.close();
        const mine = seen.events.filter((e) => (e.type === 'put' ? e.entity.org : e.ref.org) === org);
        expect(mine.map((e) => (e.type === 'put' ? e.entity.kind : e.ref.kind))).toEqual(['image']);
      });

      it('stops delivering once closed', async () => {
        const org = freshOrg();
        const seen = collector();
        const watch = await store.watch({ org }, { onEvent: seen.onEvent });
        await watch.close();
        await store.create(fn(org, 'after'));
        await sleep(200);
        expect(seen.events).toEqual([]);
      });
    });

    describe('lock', () => {
      it('never lets two holders in at once and hands over on release', async () => {
        const name = `lock-${randomUUID()}`;
        let inside = 0;
        let maxInside = 0;
        const order: number[] = [];
        await Promise.all(
          Array.from({ length: 5 }, async (_, i) => {
            const lock = await store.lock(name, { ttlSeconds: 10 });
            inside += 1;
            maxInside = Math.max(maxInside, inside);
            await sleep(20);
            order.push(i);
            inside -= 1;
            await lock.release();
          }),
        );
        expect(maxInside).toBe(1);
        expect(order).toHaveLength(5);
      });

      it('gives up waiting after the timeout with UNAVAILABLE', async () => {
        const name = `lock-${randomUUID()}`;
        const held = await store.lock(name);
        expect(await codeOf(store.lock(name, { timeoutMs: 200 }))).toBe('UNAVAILABLE');
        await held.release();
        const again = await store.lock(name, { timeoutMs: 2000 });
        await again.release();
      });
    });

    describe('lease', () => {
      it('deletes the entities attached to a lease when it is revoked', async () => {
        const org = freshOrg();
        const lease = await store.grantLease(10);
        const kept = await store.create(fn(org, 'kept'));
        const leased = await store.create(fn(org, 'leased'), { lease });
        const seen = collector();
        const watch = await store.watch({ org }, { onEvent: seen.onEvent });
        await lease.revoke();
        await seen.waitFor(1);
        await watch.close();
        expect(seen.events[0]).toMatchObject({ type: 'delete', ref: { name: 'leased' } });
        expect(await codeOf(store.get(leased))).toBe('NOT_FOUND');
        expect(await store.get(kept)).toEqual(kept);
      });

      it('refuses a TTL that is not a whole number of seconds', async () => {
        expect(await codeOf(store.grantLease(0))).toBe('INVALID_ARGUMENT');
      });
    });
  });
}
