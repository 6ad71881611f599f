import type { Run } from '@dispatch/contracts';
import type { RequestScope } from '@dispatch/platform';

/** Runs kept per function unless configured otherwise. */
export const DEFAULT_RETENTION = 100;

/**
 * Where runs are recorded: every execution, listable per function, newest first, up to a retention
 * bound per function. Two implementations pass one contract suite: the entity store's (etcd in the
 * distributed shape) and a journal of its own (solo), because a run is written on every call and
 * needs none of an entity's revisions, watch or change log.
 */
export interface RunJournal {
  /**
   * Records a run, or replaces it (an asynchronous run that finished). `named`: the caller named the run
   * (an event's delivery), so a journal shared by replicas keeps it for a while past the bound, for a
   * repeated call to find.
   */
  save(scope: RequestScope, run: Run, options?: { named?: boolean }): Promise<void>;
  get(scope: RequestScope, functionName: string | undefined, name: string): Promise<Run>;
  /** Newest first, at most the retention bound per function; all functions of the project without one. */
  list(scope: RequestScope, functionName: string | undefined, since?: number): Promise<Run[]>;
  /** Forgets every run of a function (it was deleted). */
  forget(scope: RequestScope, functionName: string): Promise<void>;
  close(): Promise<void>;
}

export const RUN_JOURNAL = Symbol.for('dispatch.run-journal');

/** Newest first: by executedTime, then by name (UUIDv7, time-ordered within one second). */
export function newestFirst(runs: Run[]): Run[] {
  return runs.sort(
    (a, b) => b.executedTime - a.executedTime || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0),
  );
}
