import type { Provider } from '@nestjs/common';
import { FUNCTIONS_CONFIG, type FunctionsConfig } from '../functions.config.js';
import { LmdbRunJournal } from './lmdb-run-journal.js';
import { PostgresRunJournal } from './postgres-run-journal.js';
import { DEFAULT_RETENTION, RUN_JOURNAL } from './run-journal.js';

export const runJournalProvider: Provider = {
  provide: RUN_JOURNAL,
  inject: [FUNCTIONS_CONFIG],
  useFactory: (config: FunctionsConfig) => {
    const retention = config.runRetention ?? DEFAULT_RETENTION;
    const journal = config.runJournal ?? 'embedded';
    return journal === 'embedded'
      ? new LmdbRunJournal(config.dataDir, retention)
      : new PostgresRunJournal(journal.postgres, retention);
  },
};
