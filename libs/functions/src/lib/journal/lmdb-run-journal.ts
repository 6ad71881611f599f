import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { open, type Database, type RootDatabase } from 'lmdb';
import { DomainError, type Run } from '@dispatch/contracts';
import type { RequestScope } from '@dispatch/platform';
import { newestFirst, type RunJournal } from './run-journal.js';

/** A segment: the runs of one function written together, and how many there are. */
type Key = [org: string, project: string, fn: string, segment: number, runs: number];

/** How long saved runs wait to be written together, and how many make a write happen sooner. */
const FLUSH_AFTER_MS = 20;
const FLUSH_AT_RUNS = 512;

/** Sorts after every segment number, to bound a reverse range. */
const AFTER = '~';

interface Pending {
  scope: RequestScope;
  functionName: string;
  runs: Run[];
}

/**
 * Solo's run journal: its own LMDB file (`<dataDir>/runs.mdb`) of segments. Saved runs gather in
 * memory for up to FLUSH_AFTER_MS and are written as one segment per function, all in one transaction:
 * a run is on the path of every call, and one record per run cost the gateway a third of its
 * throughput, as OpenWhisk found when it moved activations to batched writes. A run is readable as
 * soon as it is saved: `get` looks at what is gathered first, `list` writes it first.
 *
 * A segment's key holds its function, a number that grows with each segment, and its run count, so
 * trimming past the bound reads keys only. A run saved twice (accepted, then finished) may sit in two
 * segments; the newer wins.
 */
export class LmdbRunJournal implements RunJournal {
  private readonly logger = new Logger('run-journal');
  private readonly root: RootDatabase;
  private readonly segments: Database<Run[], Key>;
  private pending = new Map<string, Pending>();
  /** Batches taken from `pending` whose transaction has not committed yet: still read from here. */
  private readonly writing = new Set<Pending[]>();
  private pendingRuns = 0;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private lastSegment = 0;

  constructor(
    dataDir: string,
    private readonly retention: number,
  ) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.root = open({ path: join(dataDir, 'runs.mdb'), compression: false });
    // JSON: V8 writes a run's open-ended objects (input, output, headers) faster than msgpackr.
    this.segments = this.root.openDB<Run[], Key>({ name: 'run-segments', encoding: 'json' });
  }

  async save(scope: RequestScope, run: Run): Promise<void> {
    const key = `${scope.org}\u0000${scope.project}\u0000${run.functionName}`;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = { scope, functionName: run.functionName, runs: [] };
      this.pending.set(key, pending);
    }
    pending.runs.push(run);
    this.pendingRuns += 1;
    if (this.pendingRuns >= FLUSH_AT_RUNS) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }

  /** Writes every gathered run; resolves once they are committed. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.pendingRuns = 0;
    if (batch.length === 0) return this.flushing;
    this.writing.add(batch);
    const write = this.flushing.then(() =>
      this.root.transaction(() => {
        for (const { scope, functionName, runs } of batch) {
          // Past the bound, the older of one batch would never be listed: they are not written at all.
          const kept = runs.length > this.retention ? runs.slice(-this.retention) : runs;
          const key: Key = [scope.org, scope.project, functionName, this.nextSegment(), kept.length];
          this.segments.putSync(key, kept);
          this.trim(scope, functionName);
        }
      }),
    );
    this.flushing = write.then(
      () => undefined,
      (err: unknown) =>
        this.logger.error(`writing ${batch.length} functions' runs: ${(err as Error).message}`),
    );
    void this.flushing.finally(() => this.writing.delete(batch));
    return write.then(() => undefined);
  }

  async get(scope: RequestScope, functionName: string | undefined, name: string): Promise<Run> {
    // What is gathered is newer than what is being written, which is newer than what is written; none
    // needs a write to be read (a run between its flush and its commit is in `writing`).
    for (const batch of [[...this.pending.values()], ...[...this.writing].reverse()]) {
      for (const pending of batch) {
        if (pending.scope.org !== scope.org || pending.scope.project !== scope.project) continue;
        if (functionName !== undefined && pending.functionName !== functionName) continue;
        const found = pending.runs.findLast((r) => r.name === name);
        if (found) return found;
      }
    }
    const functions = functionName ? [functionName] : this.functionsOf(scope);
    for (const fn of functions) {
      for (const { value } of this.segments.getRange(this.range(scope, fn))) {
        const found = value.findLast((r) => r.name === name);
        if (found) return found;
      }
    }
    throw new DomainError('NOT_FOUND', `run ${name} not found in ${scope.org}/${scope.project}`);
  }

  async list(scope: RequestScope, functionName: string | undefined, since?: number): Promise<Run[]> {
    await this.flush();
    const functions = functionName ? [functionName] : this.functionsOf(scope);
    const runs = functions.flatMap((fn) => this.newest(scope, fn));
    return newestFirst(runs).filter((r) => since === undefined || r.executedTime >= since);
  }

  async forget(scope: RequestScope, functionName: string): Promise<void> {
    await this.flush();
    const keys = [...this.segments.getKeys(this.range(scope, functionName))];
    await this.root.transaction(() => {
      for (const key of keys) this.segments.removeSync(key);
    });
  }

  async close(): Promise<void> {
    await this.flush();
    await this.root.close();
  }

  /** A function's newest runs, up to the bound, each once. */
  private newest(scope: RequestScope, functionName: string): Run[] {
    const byName = new Map<string, Run>();
    for (const { value } of this.segments.getRange(this.range(scope, functionName))) {
      // Newest segment first, and within one the later record of a name is the newer.
      for (let i = value.length - 1; i >= 0; i -= 1) {
        const run = value[i] as Run;
        if (!byName.has(run.name)) byName.set(run.name, run);
      }
      if (byName.size >= this.retention) break;
    }
    return newestFirst([...byName.values()]).slice(0, this.retention);
  }

  /** The functions of a project that have runs. */
  private functionsOf(scope: RequestScope): string[] {
    const functions = new Set<string>();
    for (const key of this.segments.getKeys({
      start: [scope.org, scope.project],
      end: [scope.org, scope.project, AFTER],
    })) {
      functions.add(key[2]);
    }
    return [...functions];
  }

  /** A function's segments, newest first. */
  private range(scope: RequestScope, functionName: string) {
    return {
      start: [scope.org, scope.project, functionName, AFTER] as unknown as Key,
      end: [scope.org, scope.project, functionName] as unknown as Key,
      reverse: true,
    };
  }

  /** Inside the write: removes the segments past those that already hold the bound's worth of runs. */
  private trim(scope: RequestScope, functionName: string): void {
    let kept = 0;
    for (const key of this.segments.getKeys(this.range(scope, functionName))) {
      if (kept >= this.retention) this.segments.removeSync(key);
      else kept += key[4];
    }
  }

  /** Segment numbers grow with time and never repeat, across restarts too. */
  private nextSegment(): number {
    this.lastSegment = Math.max(this.lastSegment + 1, Date.now() * 1000);
    return this.lastSegment;
  }
}
