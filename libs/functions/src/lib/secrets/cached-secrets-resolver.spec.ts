import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SecretsResolver, SecretValues } from '@dispatch/contracts';
import { EmbeddedEntityStore } from '@dispatch/entity-store';
import { InProcessBus } from '@dispatch/messaging';
import { PublishingEntityStore } from '@dispatch/platform';
import { CachedSecretsResolver } from './cached-secrets-resolver.js';

/** The secrets service as the functions service sees it: values read from the store, calls counted. */
class CountingSource implements SecretsResolver {
  calls = 0;
  constructor(private readonly store: PublishingEntityStore) {}
  async resolve(org: string, project: string, names: string[]): Promise<SecretValues> {
    this.calls += 1;
    const merged: SecretValues = {};
    for (const name of names) {
      const secret = await this.store.get<{ values: SecretValues }>({ org, project, kind: 'secret', name });
      Object.assign(merged, secret.spec.values);
    }
    return merged;
  }
}

let dir: string;
let bus: InProcessBus;
let store: PublishingEntityStore;
let source: CountingSource;
let cache: CachedSecretsResolver;
const ref = { org: 'acme', project: 'default', kind: 'secret', name: 'db' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dispatch-secrets-cache-'));
  bus = new InProcessBus();
  store = new PublishingEntityStore(await EmbeddedEntityStore.open({ dataDir: dir }), bus);
  source = new CountingSource(store);
  cache = new CachedSecretsResolver(source, bus);
  await store.create({ ...ref, spec: { values: { password: 'one' } }, status: 'READY' });
  // Until its subscription is live the cache keeps nothing; wait for it as a running service would.
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const before = source.calls;
    await cache.resolve('acme', 'default', ['db']);
    await cache.resolve('acme', 'default', ['db']);
    if (source.calls === before + 1) break;
    await new Promise((r) => setTimeout(r, 20));
  }
});

afterAll(async () => {
  await cache.onApplicationShutdown();
  await store.close();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('the secrets cache of the functions service', () => {
  it('serves repeated runs without asking the secrets service again', async () => {
    const before = source.calls;
    for (let i = 0; i < 5; i++)
      expect(await cache.resolve('acme', 'default', ['db'])).toEqual({ password: 'one' });
    expect(source.calls).toBe(before);
  });

  it("drops a value when the secrets service announces the secret's update or deletion", async () => {
    const current = await store.get(ref);
    await store.update({ ...current, spec: { values: { password: 'two' } } });
    await eventually(async () => (await cache.resolve('acme', 'default', ['db'])).password === 'two');
    expect(await cache.resolve('acme', 'default', ['db'])).toEqual({ password: 'two' });

    await store.delete(ref);
    let refused = '';
    await eventually(() =>
      cache.resolve('acme', 'default', ['db']).then(
        () => false,
        (err: Error) => ((refused = err.message), true),
      ),
    );
    expect(refused).toContain('not found');
  });
});

describe('the secrets cache when its subscription is interrupted', () => {
  it('asks the secrets service while the bus is away, and forgets what it learnt before', async () => {
    // A bus whose one subscription the test steers, as a Kafka consumer losing its broker would be.
    const subscription = { live: true, interruptions: 0, close: async () => undefined };
    const steered = { subscribe: async () => subscription } as unknown as InProcessBus;
    const counted = new CountingSource(store);
    const steeredCache = new CachedSecretsResolver(counted, steered);
    await store.create({ ...ref, name: 'api', spec: { values: { key: 'k1' } }, status: 'READY' });
    await new Promise((r) => setTimeout(r, 10));

    await steeredCache.resolve('acme', 'default', ['api']);
    await steeredCache.resolve('acme', 'default', ['api']);
    expect(counted.calls).toBe(1);

    subscription.live = false;
    await steeredCache.resolve('acme', 'default', ['api']);
    await steeredCache.resolve('acme', 'default', ['api']);
    expect(counted.calls).toBe(3);

    // Back, after an interruption: a change announced meanwhile may be lost, so nothing is reused.
    subscription.live = true;
    subscription.interruptions = 1;
    const current = await store.get({ ...ref, name: 'api' });
    await store.update({ ...current, spec: { values: { key: 'k2' } } });
    expect(await steeredCache.resolve('acme', 'default', ['api'])).toEqual({ key: 'k2' });
    await steeredCache.resolve('acme', 'default', ['api']);
    expect(counted.calls).toBe(4);
    await steeredCache.onApplicationShutdown();
  });
});
