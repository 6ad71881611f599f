import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runKind, type Run } from '@dispatch/contracts';
import { EmbeddedEntityStore } from '@dispatch/entity-store';
import { open } from 'lmdb';
import { LmdbRunJournal } from './lmdb-run-journal.js';
import { StoreRunJournal } from './store-run-journal.js';
import { runJournalContract } from './testing/run-journal.contract.js';

runJournalContract('entity store', async (retention) => {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-journal-'));
  const store = await EmbeddedEntityStore.open({ dataDir: dir });
  // Functions exist for the journal to find runs without a function name, as in a real project.
  for (const name of ['a', 'b', 'c', 'd', 'ab'])
    await store.create({ org: 'default', project: 'default', kind: 'function', name, spec: {} });
  return {
    // The bound alone: this contract's runs are all recent.
    journal: new StoreRunJournal(store, retention, 0),
    stored: async (org, project, fn) => (await store.list({ org, project, kind: runKind(fn) })).length,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runJournalContract('lmdb', async (retention) => {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-journal-'));
  const journal = new LmdbRunJournal(dir, retention);
  return {
    journal,
    stored: async (org, project, fn) => {
      await journal.flush();
      // A second handle on the same file, reading what is physically there: segments, keyed with their
      // run counts.
      const env = open({ path: join(dir, 'runs.mdb'), compression: false });
      const keys = env
        .openDB<unknown, [string, string, string, number, number]>({ name: 'run-segments', encoding: 'json' })
        .getKeys({ start: [org, project, fn], end: [org, project, fn, '~'] as never });
      let count = 0;
      for (const key of keys) count += key[4];
      await env.close();
      return count;
    },
    close: async () => {
      await journal.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('the entity-store journal', () => {
  it('keeps recent runs beyond the bound, so a repeated named call still finds its run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dispatch-journal-'));
    const store = await EmbeddedEntityStore.open({ dataDir: dir });
    const journal = new StoreRunJournal(store, 5);
    const scope = { org: 'default', project: 'default' };
    const run = (i: number) =>
      ({ name: `r-${i}`, functionName: 'f', executedTime: Math.floor(Date.now() / 1000) + i }) as Run;
    for (let i = 0; i < 12; i += 1) await journal.save(scope, run(i));
    expect((await journal.get(scope, 'f', 'r-0')).name).toBe('r-0');
    expect(await store.list({ ...scope, kind: runKind('f') })).toHaveLength(12);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
