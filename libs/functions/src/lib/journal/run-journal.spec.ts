import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { LmdbRunJournal } from './lmdb-run-journal.js';
import { runJournalContract } from './testing/run-journal.contract.js';

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
