import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { DomainError, type Run } from '@dispatch/contracts';
import type { RequestScope } from '@dispatch/platform';
import { newestFirst, type RunJournal } from './run-journal.js';

type Key = [org: string, project: string, fn: string, run: string];

/** Sorts after every run name (UUIDs are hex and dashes), to bound a reverse range. */
const AFTER = '~';

/**
 * Solo's run journal: its own LMDB file (`<dataDir>/runs.mdb`) keyed `[org, project, function, run]`.
 * Run names are UUIDv7, so a function's runs are in time order on disk: listing the newest is a short
 * reverse range, and trimming past the bound removes keys without reading a value. A run is encoded
 * once and written once, with none of an entity's validation, revisions or change log.
 */
export class LmdbRunJournal implements RunJournal {
  private readonly root: RootDatabase;
  private readonly runs: Database<Run, Key>;
  private readonly writes = new Map<string, number>();

  constructor(
    dataDir: string,
    private readonly retention: number,
  ) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.root = open({ path: join(dataDir, 'runs.mdb'), compression: false });
    // JSON rather than the default msgpack: V8 writes a run's nested, open-ended objects (input, output,
    // headers) several times faster than msgpackr's record structures do, and every run is written.
    this.runs = this.root.openDB<Run, Key>({ name: 'runs.json', encoding: 'json' });
  }

  async save(scope: RequestScope, run: Run): Promise<void> {
    await this.runs.put([scope.org, scope.project, run.functionName, run.name], run);
    const key = `${scope.org}/${scope.project}/${run.functionName}`;
    const count = (this.writes.get(key) ?? 0) + 1;
    this.writes.set(key, count);
    // Once per bound's worth of runs, so the file holds at most twice the bound per function.
    if (count % this.retention === 0) await this.trim(scope, run.functionName);
  }

  async get(scope: RequestScope, functionName: string | undefined, name: string): Promise<Run> {
    const found = functionName
      ? this.runs.get([scope.org, scope.project, functionName, name])
      : this.projectRuns(scope).find((r) => r.name === name);
    if (!found) throw new DomainError('NOT_FOUND', `run ${name} not found in ${scope.org}/${scope.project}`);
    return found;
  }

  async list(scope: RequestScope, functionName: string | undefined, since?: number): Promise<Run[]> {
    const runs = functionName ? this.newest(scope, functionName) : this.projectRuns(scope);
    return newestFirst(runs).filter((r) => since === undefined || r.executedTime >= since);
  }

  async forget(scope: RequestScope, functionName: string): Promise<void> {
    const keys = [...this.runs.getKeys(this.range(scope, functionName))];
    await this.runs.transaction(() => {
      for (const key of keys) this.runs.removeSync(key);
    });
    this.writes.delete(`${scope.org}/${scope.project}/${functionName}`);
  }

  async close(): Promise<void> {
    await this.root.close();
  }

  /** A function's newest runs, up to the bound. */
  private newest(scope: RequestScope, functionName: string): Run[] {
    return [
      ...this.runs
        .getRange({ ...this.range(scope, functionName), limit: this.retention })
        .map((e) => e.value),
    ];
  }

  /** Every function's newest runs in a project. */
  private projectRuns(scope: RequestScope): Run[] {
    const functions = new Set<string>();
    for (const key of this.runs.getKeys({
      start: [scope.org, scope.project],
      end: [scope.org, scope.project, AFTER],
    })) {
      functions.add(key[2]);
    }
    return [...functions].flatMap((fn) => this.newest(scope, fn));
  }

  /** A function's runs, newest first. */
  private range(scope: RequestScope, functionName: string) {
    return {
      start: [scope.org, scope.project, functionName, AFTER] as Key,
      end: [scope.org, scope.project, functionName] as unknown as Key,
      reverse: true,
    };
  }

  private async trim(scope: RequestScope, functionName: string): Promise<void> {
    const old = [...this.runs.getKeys({ ...this.range(scope, functionName), offset: this.retention })];
    if (old.length === 0) return;
    await this.runs.transaction(() => {
      for (const key of old) this.runs.removeSync(key);
    });
  }
}
