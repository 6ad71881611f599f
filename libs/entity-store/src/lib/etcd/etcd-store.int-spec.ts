import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { Etcd3 } from 'etcd3';
import { describeEntityStoreContract } from '../testing/entity-store.contract.js';
import { EtcdEntityStore } from './etcd-store.js';

const endpoints = process.env.ETCD_ENDPOINTS?.split(',');
if (!endpoints) {
  throw new Error('ETCD_ENDPOINTS is not set: start etcd with `node tools/etcd.js start` or run `npm test`');
}

// A namespace of its own, so "stores nothing" can count this suite's keys: etcd's revision is
// cluster-wide, and other suites write to the same etcd meanwhile.
const contractNamespace = `/contract-${randomUUID()}/`;
describeEntityStoreContract(
  'etcd',
  async () => new EtcdEntityStore({ endpoints, namespace: contractNamespace }),
  {
    writesSince: async (_store, revision) => {
      const etcd = new Etcd3({ hosts: endpoints });
      try {
        const keys = await etcd
          .namespace(contractNamespace)
          .getAll()
          .minModRevision(revision + 1)
          .keys();
        return keys.length;
      } finally {
        etcd.close();
      }
    },
  },
);

function run(script: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('etcd lock across processes', () => {
  it('never lets two processes hold the lock at once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dispatch-lock-')), 'turns.log');
    const script = fileURLToPath(new URL('../testing/lock-contender.mjs', import.meta.url));
    const lockName = `contended-${Date.now()}`;
    const codes = await Promise.all(
      [1, 2, 3].map(() => run(script, [endpoints.join(','), lockName, file, '15'])),
    );
    expect(codes).toEqual([0, 0, 0]);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3 * 15 * 2);
    for (let i = 0; i < lines.length; i += 2) {
      const [enter, exit] = [lines[i]?.split(' '), lines[i + 1]?.split(' ')];
      expect(enter?.[0]).toBe('enter');
      expect(exit).toEqual(['exit', enter?.[1]]);
    }
    expect(new Set(lines.map((l) => l.split(' ')[1])).size).toBe(3);
  }, 60_000);

  it('frees the lock of a holder whose lease ran out', async () => {
    const store = new EtcdEntityStore({ endpoints });
    const other = new EtcdEntityStore({ endpoints });
    const name = `abandoned-${Date.now()}`;
    await store.lock(name, { ttlSeconds: 2 });
    // The holder's connection goes away without releasing: its keep-alives stop.
    await store.close();
    const started = Date.now();
    const lock = await other.lock(name, { timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    await lock.release();
    await other.close();
  }, 20_000);
});

describe('etcd keys', () => {
  it('keeps each kind under a range of its own, so a watch of one kind hears only its writes', async () => {
    const namespace = `/keys-${Date.now()}/`;
    const store = new EtcdEntityStore({ endpoints, namespace });
    const raw = new Etcd3({ hosts: endpoints });
    await store.create({ org: 'acme', project: 'default', kind: 'function', name: 'f', spec: {} });
    await store.create({ org: 'acme', project: 'default', kind: 'secret', name: 's', spec: {} });
    expect(await raw.namespace(namespace).getAll().prefix('/').keys()).toEqual([
      '/dispatch-entities/function/acme/default/f',
      '/dispatch-entities/secret/acme/default/s',
    ]);
    await store.close();
    raw.close();
  });

  it('moves the entities of the earlier org-first layout on first use, keeping them whole', async () => {
    const namespace = `/legacy-${Date.now()}/`;
    const raw = new Etcd3({ hosts: endpoints });
    const legacy = raw.namespace(namespace);
    // What an earlier version wrote: an image under /dispatch/<org>/<project>/<kind>/<name>.
    const record = {
      id: 'b6c1d1c2-0000-4000-8000-000000000001',
      org: 'acme',
      project: 'default',
      kind: 'image',
      name: 'nodejs',
      spec: { baseImage: 'node-base' },
      status: 'READY',
      reason: [],
      tags: [],
      createdTime: 1,
      modifiedTime: 1,
    };
    await legacy.put('/dispatch/acme/default/image/nodejs').value(JSON.stringify(record));
    // Two replicas starting together: each entity moves once.
    const [a, b] = [
      new EtcdEntityStore({ endpoints, namespace }),
      new EtcdEntityStore({ endpoints, namespace }),
    ];
    const [fromA, fromB] = await Promise.all([
      a.get({ org: 'acme', project: 'default', kind: 'image', name: 'nodejs' }),
      b.list({ kind: 'image' }),
    ]);
    expect(fromA).toMatchObject({ name: 'nodejs', spec: { baseImage: 'node-base' }, status: 'READY' });
    expect(fromB.map((e) => e.name)).toEqual(['nodejs']);
    expect(await legacy.getAll().prefix('/dispatch/').keys()).toEqual([]);
    await Promise.all([a.close(), b.close()]);
    raw.close();
  });
});
