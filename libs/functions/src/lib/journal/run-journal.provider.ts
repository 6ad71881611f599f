import type { Provider } from '@nestjs/common';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { FUNCTIONS_CONFIG, type FunctionsConfig } from '../functions.config.js';
import { LmdbRunJournal } from './lmdb-run-journal.js';
import { DEFAULT_RETENTION, RUN_JOURNAL } from './run-journal.js';
import { StoreRunJournal } from './store-run-journal.js';

export const runJournalProvider: Provider = {
  provide: RUN_JOURNAL,
  inject: [FUNCTIONS_CONFIG, ENTITY_STORE],
  useFactory: (config: FunctionsConfig, store: EntityStore) => {
    const retention = config.runRetention ?? DEFAULT_RETENTION;
    return config.runJournal === 'embedded'
      ? new LmdbRunJournal(config.dataDir, retention)
      : new StoreRunJournal(store, retention);
  },
};
