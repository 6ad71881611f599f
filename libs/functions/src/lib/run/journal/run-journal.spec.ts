import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKind } from '@dispatch/contracts';
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
    journal: new StoreRunJournal(store, retention),
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
