import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Entity } from '@dispatch/contracts';
import { EtcdEntityStore } from '@dispatch/entity-store';
import { Reconciler } from './reconciler.js';

const endpoints = process.env.ETCD_ENDPOINTS?.split(',');
if (!endpoints) throw new Error('ETCD_ENDPOINTS is not set: run `npm test`');

/**
 * Replicas of a service on one etcd: each runs a Reconciler of the same kind, as two pods of the
 * images or functions service do. Every entity is built exactly once, whichever replica gets it.
 */
describe('reconcilers in several replicas', () => {
  const namespace = `/reconciler-${randomBytes(4).toString('hex')}/`;
  const stores = [0, 1, 2].map(() => new EtcdEntityStore({ endpoints, namespace }));
  afterAll(() => Promise.all(stores.map((s) => s.close())));

  it('builds each entity once across two replicas', async () => {
    const builds: string[] = [];
    const replicas = stores.slice(0, 2).map(
      (store, replica) =>
        new Reconciler<{ n: number }>({
          name: `replica-${replica}`,
          store,
          kind: 'widget',
          reconcile: async (entity: Entity<{ n: number }>) => {
            builds.push(`${entity.name}@${replica}`);
            await new Promise((r) => setTimeout(r, 50)); // a build takes a while
            await store.update({ ...entity, status: 'READY' });
          },
        }),
    );
    await Promise.all(replicas.map((r) => r.start()));
    const writer = stores[2] as EtcdEntityStore;
    const names = Array.from({ length: 20 }, (_, i) => `w${i}`);
    for (const name of names)
      await writer.create({
        org: 'acme',
        project: 'default',
        kind: 'widget',
        name,
        status: 'CREATING',
        spec: { n: 1 },
      });
    for (let i = 0; i < 200; i += 1) {
      const listed = await writer.list({ org: 'acme', kind: 'widget' });
      if (listed.every((e) => e.status === 'READY')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(replicas.map((r) => r.stop()));
    expect((await writer.list({ org: 'acme', kind: 'widget' })).every((e) => e.status === 'READY')).toBe(
      true,
    );
    const built = builds.map((b) => b.split('@')[0]);
    expect(built.sort()).toEqual([...names].sort());
  }, 60_000);
});
