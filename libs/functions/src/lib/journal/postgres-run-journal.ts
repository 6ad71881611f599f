import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DomainError, type Run } from '@dispatch/contracts';
import type { RequestScope } from '@dispatch/platform';
import { newestFirst, type RunJournal } from './run-journal.js';

export interface PostgresJournalOptions {
  /** e.g. `postgres://dispatch:secret@postgres:5432/dispatch`. */
  url: string;
  /** The schema the runs table lives in: one per installation sharing a database. */
  schema: string;
}

/** How long a run is kept whatever the bound, so a repeated named call finds its run (see RunService). */
const KEEP_RECENT_S = 10 * 60;
/**
 * Named runs a function keeps in the window, as a multiple of the bound: enough for every delivery of a
 * busy event subscription to be found again, and a limit on what one caller can make the database keep.
 */
const NAMED_PER_BOUND = 10;
/** Runs saved while one write is under way go out together in the next, up to this many. */
const BATCH_MAX = 1000;
/**
 * How long a run waits for others to share its write. Under load the statement, not the row, is most of
 * what the database spends: at 6,000 runs a second, writes as soon as the last one ended were a third of a
 * core of PostgreSQL; with segments, 20 ms rather than 10 halved what PostgreSQL spent per run (a segment
 * holds twice the runs, and those past the bound are not written).
 */
const GATHER_MS = 20;
const POOL_SIZE = 8;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

interface Saved {
  scope: RequestScope;
  run: Run;
  named: boolean;
  done: { resolve: () => void; reject: (err: Error) => void };
}

/** A run about to be written, with its record as JSON. */
type Recorded = Saved & { record: string };

/**
 * The most characters of records in one statement, and in one segment. A function may answer up to 16 MB
 * a call: a batch of such runs in one string would pass what V8 can hold in one (about 512 MB) and lose
 * every run of the batch, other tenants' too. A segment that large is read whole to find one run in it.
 */
const STATEMENT_CHARS = 32 * 1024 * 1024;
const SEGMENT_CHARS = 4 * 1024 * 1024;

/** `items` in order, in groups of at most `max` characters of records (a larger one alone). */
function bySize<T extends { record: string } | { record: string }[]>(items: T[], max: number): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let size = 0;
  for (const item of items) {
    const chars = Array.isArray(item) ? item.reduce((n, r) => n + r.record.length, 0) : item.record.length;
    if (group.length > 0 && size + chars > max) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(item);
    size += chars;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/**
 * The distributed shape's run journal, in PostgreSQL, shared by every replica of the functions service.
 * Runs are written on every call, so they stay out of etcd (a configuration store every service watches)
 * as Kubernetes keeps its events and OpenWhisk its activations out of theirs.
 *
 * Writes are grouped: runs saved within GATHER_MS of each other, and while one write is under way, go
 * out together, so under load there is one transaction per batch, not per run, and at rest a run is
 * written GATHER_MS after it is saved. A run is readable here as soon as it is saved (`get` looks at
 * what is gathered first), and from every replica once its batch commits.
 *
 * Two tables. A blocking run nobody named (an endpoint's call, a synchronous API call) is saved once,
 * when it finished: the runs of one function in a batch go as one segment, a row holding their records
 * and their names (a GIN index finds a run by name), as solo's journal writes them. A row per run cost
 * the database three times as much, most of it keeping two indexes of text keys, and its share of the
 * two cores slowed every call of the distributed shape by a third. A named run (an event's delivery) and
 * a non-blocking one (saved when accepted, then again when finished) is a row of its own in `runs`,
 * upserted, for a repeated call to find and a finished run to replace.
 *
 * Each function keeps its newest `retention` runs, and the named ones of the last ten minutes, for a
 * repeated call to find, up to ten times `retention` of them; the rest are deleted after every
 * `retention` writes of that function.
 *
 * Commits do not wait for the disk (synchronous_commit off, for this journal's connections only): a
 * run's record is already written behind its answer, and a crash of the database may lose the last
 * fraction of a second of records, never corrupt them. What must not be lost is in etcd.
 */
export class PostgresRunJournal implements RunJournal {
  private readonly logger = new Logger('run-journal');
  private readonly pool: pg.Pool;
  private readonly table: string;
  private readonly segmentTable: string;
  private tableReady?: Promise<void>;
  private gathered: Saved[] = [];
  private readonly writing = new Set<Saved[]>();
  private flushing?: Promise<void>;
  private gathering?: NodeJS.Timeout;
  private readonly writes = new Map<string, number>();
  /** Functions with named runs saved since their named runs were last trimmed. */
  private readonly namedSince = new Set<string>();
  /** Per function and kind: where this replica's last trim stopped, and when it last swept it all. */
  private readonly trimmed = new Map<string, { cutoff: { time: number; name: string }; sweptAt: number }>();

  constructor(
    private readonly options: PostgresJournalOptions,
    private readonly retention: number,
    private readonly keepRecentS = KEEP_RECENT_S,
  ) {
    if (!SCHEMA_NAME.test(options.schema)) {
      throw new DomainError(
        'INVALID_ARGUMENT',
        `the run journal's schema must be a lowercase SQL name (letters, digits, _), got ${options.schema}`,
      );
    }
    this.table = `"${options.schema}".runs`;
    this.segmentTable = `"${options.schema}".run_segments`;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: POOL_SIZE,
      idleTimeoutMillis: 60_000,
      options: '-c synchronous_commit=off',
    });
    // An idle connection the server dropped (a restart) is replaced on the next query; said here only.
    this.pool.on('error', (err) =>
      this.logger.warn(`an idle connection to PostgreSQL failed: ${err.message}`),
    );
  }

  async save(scope: RequestScope, run: Run, options?: { named?: boolean }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.gathered.push({ scope, run, named: options?.named ?? false, done: { resolve, reject } });
      this.gathering ??= setTimeout(() => {
        this.gathering = undefined;
        void this.flush();
      }, GATHER_MS);
    });
  }

  async get(scope: RequestScope, functionName: string | undefined, name: string): Promise<Run> {
    // What is gathered is newer than what is being written, which is newer than what is committed.
    for (const batch of [this.gathered, ...[...this.writing].reverse()]) {
      const found = batch.findLast(
        (s) =>
          s.run.name === name &&
          s.scope.org === scope.org &&
          s.scope.project === scope.project &&
          (functionName === undefined || s.run.functionName === functionName),
      );
      if (found) return found.run;
    }
    // A run of its own row, else the newest segment holding the name (a run saved twice is in two).
    const values = [scope.org, scope.project, name];
    if (functionName !== undefined) values.push(functionName);
    const ofFunction = functionName === undefined ? '' : 'AND function = $4';
    const res = await this.query<{ segment: boolean; data: string }>(
      `(SELECT false AS segment, record AS data FROM ${this.table}
         WHERE org = $1 AND project = $2 AND name = $3 ${ofFunction} LIMIT 1)
       UNION ALL
       (SELECT true, records FROM ${this.segmentTable}
         WHERE names @> ARRAY[$3::text] AND org = $1 AND project = $2 ${ofFunction} ORDER BY id DESC LIMIT 1)`,
      values,
    );
    const row = res.rows.find((r) => !r.segment) ?? res.rows[0];
    const found = !row
      ? undefined
      : row.segment
        ? (JSON.parse(row.data) as Run[]).findLast((r) => r.name === name)
        : (JSON.parse(row.data) as Run);
    if (!found) throw new DomainError('NOT_FOUND', `run ${name} not found in ${scope.org}/${scope.project}`);
    return found;
  }

  async list(scope: RequestScope, functionName: string | undefined, since?: number): Promise<Run[]> {
    await this.settled();
    const after = since ?? 0;
    // Each function's newest rows up to the bound, and its newest segments up to those holding the
    // bound's worth of runs: the bound's newest are among them, and merged below.
    const res =
      functionName === undefined
        ? await this.query<{ segment: boolean; data: string }>(
            `SELECT NULL::bigint AS id, false AS segment, record AS data FROM (
               SELECT record, executed_time, row_number() OVER (
                 PARTITION BY function ORDER BY executed_time DESC, name DESC) AS newest
               FROM ${this.table} WHERE org = $1 AND project = $2) AS runs
             WHERE newest <= $3 AND executed_time >= $4
             UNION ALL
             SELECT id, true, records FROM (
               SELECT records, id, newest, sum(runs) OVER (PARTITION BY function ORDER BY id DESC) - runs AS newer
               FROM ${this.segmentTable} WHERE org = $1 AND project = $2) AS segments
             WHERE newer < $3 AND newest >= $4
             ORDER BY id DESC NULLS FIRST`,
            [scope.org, scope.project, this.retention, after],
          )
        : await this.query<{ segment: boolean; data: string }>(
            `SELECT NULL::bigint AS id, false AS segment, record AS data FROM (
               SELECT record, executed_time FROM ${this.table} WHERE org = $1 AND project = $2 AND function = $3
               ORDER BY executed_time DESC, name DESC LIMIT $4) AS runs
             WHERE executed_time >= $5
             UNION ALL
             SELECT id, true, records FROM (
               SELECT records, id, newest, sum(runs) OVER (ORDER BY id DESC) - runs AS newer
               FROM ${this.segmentTable} WHERE org = $1 AND project = $2 AND function = $3) AS segments
             WHERE newer < $4 AND newest >= $5
             ORDER BY id DESC NULLS FIRST`,
            [scope.org, scope.project, functionName, this.retention, after],
          );
    return this.newestOf(res.rows, after);
  }

  /**
   * Runs from rows, then segments newest first: each name once (the newer segment's record, and a
   * segment's later record of a name), newest first, up to the bound per function, from `after` on.
   */
  private newestOf(rows: { segment: boolean; data: string }[], after: number): Run[] {
    const byName = new Map<string, Run>();
    const key = (run: Run) => `${run.functionName}\u0000${run.name}`;
    for (const row of rows) {
      if (!row.segment) {
        const run = JSON.parse(row.data) as Run;
        byName.set(key(run), run);
        continue;
      }
      const runs = JSON.parse(row.data) as Run[];
      for (let i = runs.length - 1; i >= 0; i -= 1) {
        const run = runs[i] as Run;
        if (!byName.has(key(run))) byName.set(key(run), run);
      }
    }
    const perFunction = new Map<string, number>();
    return newestFirst([...byName.values()]).filter((run) => {
      if (run.executedTime < after) return false;
      const shown = (perFunction.get(run.functionName) ?? 0) + 1;
      perFunction.set(run.functionName, shown);
      return shown <= this.retention;
    });
  }

  async forget(scope: RequestScope, functionName: string): Promise<void> {
    await this.settled();
    for (const table of [this.table, this.segmentTable])
      await this.query(`DELETE FROM ${table} WHERE org = $1 AND project = $2 AND function = $3`, [
        scope.org,
        scope.project,
        functionName,
      ]);
    // What this replica counted for the function goes with it: functions come and go, the replica stays.
    const key = JSON.stringify([scope.org, scope.project, functionName]);
    this.writes.delete(key);
    this.namedSince.delete(key);
    this.trimmed.delete(`runs ${key}`);
    this.trimmed.delete(`named ${key}`);
  }

  async close(): Promise<void> {
    clearTimeout(this.gathering);
    this.gathering = undefined;
    await this.settled();
    await this.pool.end();
  }

  /** Resolves once every run saved so far is committed (or has failed). */
  private async settled(): Promise<void> {
    while (this.flushing || this.gathered.length > 0) await (this.flushing ?? this.flush());
  }

  /** Starts writing what is gathered unless a write is under way (it starts the next when it ends). */
  private flush(): Promise<void> {
    if (this.flushing || this.gathered.length === 0) return this.flushing ?? Promise.resolve();
    const batch = this.gathered.splice(0, BATCH_MAX);
    this.writing.add(batch);
    this.flushing = this.write(batch).then(
      () => {
        for (const saved of batch) saved.done.resolve();
      },
      (err: Error) => {
        for (const saved of batch) saved.done.reject(err);
      },
    );
    void this.flushing.finally(() => {
      this.writing.delete(batch);
      this.flushing = undefined;
      if (this.gathered.length > 0 && !this.gathering) void this.flush();
    });
    return this.flushing;
  }

  private async write(batch: Saved[]): Promise<void> {
    // One record per run: a run saved twice in one batch (accepted, then finished) is its later record.
    const latest = new Map<string, Saved>();
    for (const saved of batch) {
      const { scope, run } = saved;
      latest.set(JSON.stringify([scope.org, scope.project, run.functionName, run.name]), saved);
    }
    const rows: Recorded[] = [];
    const byFunction = new Map<string, Saved[]>();
    for (const saved of latest.values()) {
      if (saved.named || !saved.run.blocking) {
        rows.push({ ...saved, record: JSON.stringify(saved.run) });
        continue;
      }
      const key = JSON.stringify([saved.scope.org, saved.scope.project, saved.run.functionName]);
      const runs = byFunction.get(key);
      if (runs) runs.push(saved);
      else byFunction.set(key, [saved]);
    }
    // Past the bound, the older runs of one batch would never be listed: they are not written at all.
    const segments = [...byFunction.values()].flatMap((runs) =>
      bySize(
        runs.slice(-this.retention).map((saved) => ({ ...saved, record: JSON.stringify(saved.run) })),
        SEGMENT_CHARS,
      ),
    );
    for (const statement of bySize(rows, STATEMENT_CHARS)) await this.writeRows(statement);
    for (const statement of bySize(segments, STATEMENT_CHARS)) await this.writeSegments(statement);
    await this.trim([...latest.values()]);
  }

  /** Named and non-blocking runs, a row each, replacing the record a run had. */
  private async writeRows(rows: Recorded[]): Promise<void> {
    // Each value a parameter of its own: arrays (unnest) would be escaped into one literal on this side
    // and parsed back on the server's, which cost more than the insert itself for records of JSON.
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const { scope, run, named, record } of rows) {
      const at = values.length;
      tuples.push(
        `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}, $${at + 7}, $${at + 8})`,
      );
      values.push(
        scope.org,
        scope.project,
        run.functionName,
        run.name,
        run.executedTime,
        run.status,
        record,
        named,
      );
    }
    await this.query(
      `INSERT INTO ${this.table} (org, project, function, name, executed_time, status, record, named)
       VALUES ${tuples.join(', ')}
       ON CONFLICT (org, project, name, function) DO UPDATE
       SET executed_time = EXCLUDED.executed_time, status = EXCLUDED.status, record = EXCLUDED.record`,
      values,
    );
  }

  /** Segments, each the runs of one function, their records written once as a JSON array. */
  private async writeSegments(segments: Recorded[][]): Promise<void> {
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const segment of segments) {
      const { scope, run } = segment[0] as Recorded;
      const at = values.length;
      tuples.push(
        `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}, $${at + 7}, $${at + 8})`,
      );
      const times = segment.map((saved) => saved.run.executedTime);
      values.push(
        scope.org,
        scope.project,
        run.functionName,
        segment.length,
        times.reduce((a, b) => Math.max(a, b)),
        segment.map((saved) => saved.run.name),
        times,
        `[${segment.map((saved) => saved.record).join(',')}]`,
      );
    }
    await this.query(
      `INSERT INTO ${this.segmentTable} (org, project, function, runs, newest, names, times, records)
       VALUES ${tuples.join(', ')}`,
      values,
    );
  }

  /**
   * Every `retention` writes of a function, deletes its runs past the bound (named ones once out of the
   * window), and its named runs past NAMED_PER_BOUND times the bound, in the window or not: a caller
   * naming every call must not keep ten minutes of them in a database every tenant shares.
   */
  private async trim(saved: Saved[]): Promise<void> {
    const due = new Map<string, { scope: RequestScope; functionName: string }>();
    for (const { scope, run, named } of saved) {
      const key = JSON.stringify([scope.org, scope.project, run.functionName]);
      const count = (this.writes.get(key) ?? 0) + 1;
      this.writes.set(key, count);
      if (named) this.namedSince.add(key);
      if (count % this.retention === 0) due.set(key, { scope, functionName: run.functionName });
    }
    for (const [key, { scope, functionName }] of due) {
      await this.trimSegments(scope, functionName);
      await this.trimPast('runs', key, scope, functionName);
      if (this.namedSince.delete(key)) await this.trimPast('named', key, scope, functionName);
    }
  }

  /** Deletes a function's segments past those that hold the bound's worth of runs. */
  private async trimSegments(scope: RequestScope, functionName: string): Promise<void> {
    await this.query(
      `DELETE FROM ${this.segmentTable} WHERE id IN (
         SELECT id FROM (
           SELECT id, sum(runs) OVER (ORDER BY id DESC) - runs AS newer
           FROM ${this.segmentTable} WHERE org = $1 AND project = $2 AND function = $3) AS segments
         WHERE newer >= $4)`,
      [scope.org, scope.project, functionName, this.retention],
      'trim-segments',
    ).catch((err: Error) => this.logger.warn(`trimming the segments of ${functionName}: ${err.message}`));
  }

  /**
   * Deletes the rows (or the named rows) of a function past their bound, which counts the runs of its
   * segments too. Only what fell out since this
   * replica's last trim is looked at: the runs below were deleted then, and an index scan down to the
   * oldest would step over each of their dead entries until a vacuum removes them, a cost that grew
   * with the load. Whatever a bounded trim leaves (a named run still in its window, a run written late
   * with an older time, the share of another replica that stopped) goes in a full sweep, once per window.
   */
  private async trimPast(
    which: 'runs' | 'named',
    key: string,
    scope: RequestScope,
    functionName: string,
  ): Promise<void> {
    const mark = `${which} ${key}`;
    const now = Date.now();
    const last = this.trimmed.get(mark);
    const sweep = !last || now - last.sweptAt >= this.keepRecentS * 1000;
    const floor = last && !sweep ? last.cutoff : { time: -1, name: '' };
    const [deleting, bound] =
      which === 'runs'
        ? ['AND (NOT runs.named OR runs.executed_time <= $7)', this.retention]
        : ['AND runs.named', this.retention * NAMED_PER_BOUND];
    const values: unknown[] = [scope.org, scope.project, functionName, bound, floor.time, floor.name];
    // Named runs in the window are kept by this bound; the named one caps them.
    if (which === 'runs') values.push(Math.floor(now / 1000) - this.keepRecentS);
    // The bound's newest of the rows are among their first bound + 1, and of the segments among those
    // kept (trimmed just before).
    const newest =
      which === 'runs'
        ? `SELECT executed_time, name FROM (
             (SELECT executed_time, name FROM ${this.table} WHERE org = $1 AND project = $2 AND function = $3
              ORDER BY executed_time DESC, name DESC LIMIT $4 + 1)
             UNION ALL
             SELECT every.executed_time, every.name
             FROM ${this.segmentTable} AS segments, unnest(segments.times, segments.names) AS every(executed_time, name)
             WHERE segments.org = $1 AND segments.project = $2 AND segments.function = $3) AS every`
        : `SELECT executed_time, name FROM ${this.table} WHERE org = $1 AND project = $2 AND function = $3 AND named`;
    const res = await this.query<{ executed_time: string; name: string }>(
      `WITH cutoff AS (${newest} ORDER BY executed_time DESC, name DESC OFFSET $4 LIMIT 1),
       gone AS (
         DELETE FROM ${this.table} AS runs USING cutoff
         WHERE runs.org = $1 AND runs.project = $2 AND runs.function = $3 ${deleting}
           AND (runs.executed_time, runs.name) <= (cutoff.executed_time, cutoff.name)
           AND (runs.executed_time, runs.name) > ($5, $6))
       SELECT executed_time, name FROM cutoff`,
      values,
      `trim-${which}`,
    ).catch((err: Error) => {
      this.logger.warn(`trimming the ${which} of ${functionName}: ${err.message}`);
      return undefined;
    });
    if (!res) return;
    const cutoff = res.rows[0];
    // Fewer than the bound: nothing was deleted, nothing to remember.
    if (!cutoff) this.trimmed.delete(mark);
    else
      this.trimmed.set(mark, {
        cutoff: { time: Number(cutoff.executed_time), name: cutoff.name },
        sweptAt: sweep ? now : (last?.sweptAt ?? now),
      });
  }

  /** A query once the table is there; PostgreSQL's failures to answer are UNAVAILABLE. */
  private async query<R extends pg.QueryResultRow>(
    text: string,
    values: unknown[],
    /** The hot statements are prepared once per connection, under a name of this journal's. */
    prepared?: string,
  ): Promise<pg.QueryResult<R>> {
    try {
      await (this.tableReady ??= this.prepare().catch((err: unknown) => {
        this.tableReady = undefined;
        throw err;
      }));
      return await this.pool.query<R>(
        prepared ? { name: `${this.options.schema}.${prepared}`, text, values } : { text, values },
      );
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw new DomainError(
        'UNAVAILABLE',
        `the run journal (PostgreSQL) is unavailable: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /**
   * The schema and table, made by whichever replica comes first: the advisory lock keeps two replicas
   * starting together from racing in CREATE ... IF NOT EXISTS, which PostgreSQL does not serialise.
   */
  private async prepare(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('dispatch.runs.' || $1))`, [
        this.options.schema,
      ]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.options.schema}"`);
      // The key leads with the name, so a run is found by name alone; `newest` lists a function's runs.
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
           org text NOT NULL, project text NOT NULL, name text NOT NULL, function text NOT NULL,
           executed_time bigint NOT NULL, status text NOT NULL, record text NOT NULL, named boolean NOT NULL,
           PRIMARY KEY (org, project, name, function))`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS runs_newest ON ${this.table} (org, project, function, executed_time DESC, name DESC)`,
      );
      // A segment's runs: their names and times in arrays (found by name through the GIN index, counted
      // by a trim without reading a record), their records as a JSON array.
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.segmentTable} (
           id bigserial PRIMARY KEY, org text NOT NULL, project text NOT NULL, function text NOT NULL,
           runs integer NOT NULL, newest bigint NOT NULL, names text[] NOT NULL, times bigint[] NOT NULL,
           records text NOT NULL)`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS run_segments_newest ON ${this.segmentTable} (org, project, function, id DESC)`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS run_segments_names ON ${this.segmentTable} USING gin (names)`,
      );
      // Named runs alone, for their own bound: empty, and free, where no caller names runs.
      await client.query(
        `CREATE INDEX IF NOT EXISTS runs_named ON ${this.table} (org, project, function, executed_time DESC, name DESC) WHERE named`,
      );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
