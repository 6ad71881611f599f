import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { DomainError } from '@dispatch/contracts';
import { describeEntityStoreContract } from '../testing/entity-store.contract.js';
import { EmbeddedEntityStore } from './embedded-store.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-store-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeEntityStoreContract('embedded', () => EmbeddedEntityStore.open({ dataDir: tempDir() }));

const ref = { org: 'acme', project: 'default', kind: 'function', name: 'hello' };

describe('embedded store on disk', () => {
  it('keeps entities and revisions across a restart', async () => {
    const dataDir = tempDir();
    const first = await EmbeddedEntityStore.open({ dataDir });
    const created = await first.create({ ...ref, spec: { handler: './hello.js' } });
    const updated = await first.update({ ...created, spec: { handler: './v2.js' }, status: 'READY' });
    await first.close();

    const second = await EmbeddedEntityStore.open({ dataDir });
    expect(await second.get(ref)).toEqual(updated);
    expect(await second.revision()).toBe(updated.revision);
    const next = await second.create({ ...ref, name: 'other', spec: {} });
    expect(next.revision).toBe(updated.revision + 1);
    await second.close();
  });

  it('replays history across a restart', async () => {
    const dataDir = tempDir();
    const first = await EmbeddedEntityStore.open({ dataDir });
    const created = await first.create({ ...ref, spec: {} });
    await first.update({ ...created, spec: { v: 2 } });
    await first.close();

    const second = await EmbeddedEntityStore.open({ dataDir });
    const seen: number[] = [];
    const watch = await second.watch(
      { org: 'acme' },
      { fromRevision: created.revision, onEvent: (e) => seen.push(e.revision) },
    );
    await new Promise((r) => setTimeout(r, 50));
    await watch.close();
    expect(seen).toEqual([created.revision, created.revision + 1]);
    await second.close();
  });

  it('drops leased entities whose holder died with the previous process', async () => {
    const dataDir = tempDir();
    const first = await EmbeddedEntityStore.open({ dataDir });
    const lease = await first.grantLease(30);
    await first.create({ ...ref, name: 'leased', spec: {} }, { lease });
    await first.create({ ...ref, name: 'kept', spec: {} });
    await first.close();

    const second = await EmbeddedEntityStore.open({ dataDir });
    expect((await second.list({ org: 'acme' })).map((e) => e.name)).toEqual(['kept']);
    await second.close();
  });

  it('compacts old history and says so to a watch that asks for it', async () => {
    const store = await EmbeddedEntityStore.open({ dataDir: tempDir(), historyLimit: 10 });
    const created = await store.create({ ...ref, spec: { v: 0 } });
    let current = created;
    for (let i = 1; i <= 30; i += 1) current = await store.update({ ...current, spec: { v: i } });
    const err = await store
      .watch({}, { fromRevision: created.revision, onEvent: () => undefined })
      .catch((e) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('REVISION_COMPACTED');
    const recent: number[] = [];
    const watch = await store.watch(
      {},
      { fromRevision: current.revision - 5, onEvent: (e) => recent.push(e.revision) },
    );
    await new Promise((r) => setTimeout(r, 50));
    await watch.close();
    expect(recent).toHaveLength(6);
    await store.close();
  });

  it('refuses a data directory another live process holds', async () => {
    const dataDir = tempDir();
    const { writeFileSync } = await import('node:fs');
    // PID 1 is always alive and never this test.
    writeFileSync(join(dataDir, 'owner.pid'), '1');
    const err = await EmbeddedEntityStore.open({ dataDir }).catch((e) => e);
    expect((err as DomainError).message).toMatch(/in use by process 1/);
  });
});
