import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DomainError } from '@dispatch/contracts';
import { EmbeddedEntityStore, type EntityStore } from '@dispatch/entity-store';
import { KindRepository } from './kind-repository.js';

interface Spec {
  size: number;
}

let dir: string;
let store: EntityStore & { close(): Promise<void> };
const acme = { org: 'acme', project: 'default' };
const other = { org: 'other', project: 'default' };

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (err: DomainError) => `${err.code}: ${err.message}`,
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dispatch-kind-repository-'));
  store = await EmbeddedEntityStore.open({ dataDir: dir });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('KindRepository', () => {
  it('keeps each org and project to its own entities', async () => {
    const boxes = new KindRepository<Spec>(store, 'box', 'box');
    await boxes.create(acme, { name: 'b1', tags: [{ key: 'k', value: 'v' }] }, { size: 1 });
    expect((await boxes.get(acme, 'b1')).spec).toEqual({ size: 1 });
    expect(await codeOf(boxes.get(other, 'b1'))).toMatch(/^NOT_FOUND/);
    expect(await boxes.find(other, 'b1')).toBeUndefined();
    expect((await boxes.list(acme, [{ key: 'k', value: 'v' }])).map((b) => b.name)).toEqual(['b1']);
    expect(await boxes.list(other)).toEqual([]);
  });

  it('refuses an update whose body names another entity, and keeps the tags a change leaves out', async () => {
    const boxes = new KindRepository<Spec>(store, 'crate', 'crate');
    await boxes.create(acme, { name: 'c1', tags: [{ key: 'k', value: 'v' }] }, { size: 1 });
    expect(await codeOf(boxes.forUpdate(acme, 'c1', { name: 'c2' }))).toBe(
      'INVALID_ARGUMENT: the body names crate c2, the path c1',
    );
    const current = await boxes.forUpdate(acme, 'c1', {});
    const updated = await boxes.update(current, { spec: { size: 2 } });
    expect(updated.spec).toEqual({ size: 2 });
    expect(updated.tags).toEqual([{ key: 'k', value: 'v' }]);
  });

  it('names a missing reference and where it was looked for', async () => {
    const boxes = new KindRepository<Spec>(store, 'bin', 'storage bin');
    await boxes.create(acme, { name: 'here' }, { size: 1 });
    await boxes.requireExisting(acme, 'here');
    expect(await codeOf(boxes.requireExisting(other, 'here'))).toBe(
      'INVALID_ARGUMENT: storage bin here not found in other/default',
    );
  });

  it('deletes as its kind deletes: marked for a reconciler, guarded by revision, or not', async () => {
    const reconciled = new KindRepository<Spec>(store, 'tub', 'tub', 'reconciled');
    await reconciled.create(acme, { name: 't1' }, { size: 1 });
    expect((await reconciled.delete(acme, 't1')).status).toBe('DELETING');
    expect((await reconciled.get(acme, 't1')).status).toBe('DELETING');

    const guarded = new KindRepository<Spec>(store, 'jar', 'jar');
    const jar = await guarded.create(acme, { name: 'j1' }, { size: 1 });
    await guarded.update(jar, { status: 'READY' });
    expect(await codeOf(guarded.remove(jar))).toMatch(/^REVISION_CONFLICT/);
    await guarded.delete(acme, 'j1');
    expect(await guarded.find(acme, 'j1')).toBeUndefined();

    const unguarded = new KindRepository<Spec>(store, 'pot', 'pot', 'unguarded');
    const pot = await unguarded.create(acme, { name: 'p1' }, { size: 1 });
    await unguarded.update(pot, { status: 'READY' });
    await unguarded.remove(pot);
    expect(await unguarded.find(acme, 'p1')).toBeUndefined();
  });
});
