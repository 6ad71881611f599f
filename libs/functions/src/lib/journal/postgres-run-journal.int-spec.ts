import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DomainError, type Run } from '@dispatch/contracts';
import pg from 'pg';
import { PostgresRunJournal } from './postgres-run-journal.js';
import { run, runJournalContract } from './testing/run-journal.contract.js';

/** The test server tools/postgres.js starts (npm test does). */
const url = process.env['POSTGRES_URL'] ?? 'postgres://dispatch:dispatch@127.0.0.1:5432/dispatch';
const schemas: string[] = [];

/** A schema of its own per journal: a fresh installation, as each e2e session is. */
function newSchema(): string {
  const schema = `test_${process.pid}_${schemas.length}_${Date.now()}`;
  schemas.push(schema);
  return schema;
}

/** The runs of a function physically kept: a row each, and those of its segments. */
async function storedRuns(
  reader: pg.Client,
  schema: string,
  where: string,
  values: unknown[],
): Promise<number> {
  const res = await reader.query(
    `SELECT (SELECT count(*) FROM "${schema}".runs WHERE ${where})
          + (SELECT coalesce(sum(runs), 0) FROM "${schema}".run_segments WHERE ${where}) AS n`,
    values,
  );
  return Number((res.rows[0] as { n: string }).n);
}

afterAll(async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

runJournalContract('postgres', async (retention) => {
  const schema = newSchema();
  // The bound alone: this contract's runs are all recent.
  const journal = new PostgresRunJournal({ url, schema }, retention, 0);
  const reader = new pg.Client({ connectionString: url });
  await reader.connect();
  return {
    journal,
    stored: (org, project, fn) =>
      storedRuns(reader, schema, 'org = $1 AND project = $2 AND function = $3', [org, project, fn]),
    close: async () => {
      await journal.close();
      await reader.end();
    },
  };
});

describe('the postgres run journal', () => {
  const scope = { org: 'default', project: 'default' };
  let schema: string;
  let replicas: PostgresRunJournal[];

  beforeAll(() => {
    schema = newSchema();
    // Two replicas of the functions service, starting together on an empty database.
    replicas = [new PostgresRunJournal({ url, schema }, 5), new PostgresRunJournal({ url, schema }, 5)];
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.close()));
  });

  it('shows every replica the runs another saved, once its save resolved', async () => {
    const [a, b] = replicas as [PostgresRunJournal, PostgresRunJournal];
    const saved = run('shared', 'from a');
    await Promise.all([a.save(scope, saved), b.save(scope, run('shared', 'from b'))]);
    expect(await b.get(scope, undefined, saved.name)).toEqual(saved);
    expect((await a.list(scope, 'shared')).map((r) => r.output).sort()).toEqual(['from a', 'from b']);
  });

  it('writes a thousand runs saved at once, lists the newest up to the bound, and trims the rest', async () => {
    const [a] = replicas as [PostgresRunJournal];
    const runs = Array.from({ length: 1000 }, (_, i) => run('many', i));
    // The first as an event's delivery names it: kept for a while past the bound, for a repeated call.
    await Promise.all(runs.map((r, i) => a.save(scope, r, { named: i === 0 })));
    expect((await a.list(scope, 'many')).map((r) => r.output)).toEqual([999, 998, 997, 996, 995]);
    expect((await a.get(scope, 'many', (runs[0] as Run).name)).output).toBe(0);
    await expect(a.get(scope, 'many', (runs[1] as Run).name)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps runs to the bound trim after trim, and sweeps a named run once out of its window', async () => {
    // A window of two seconds (times are in whole seconds: a run of second T is out of a one-second
    // window as soon as T + 1 begins); each batch below is a trim of its own.
    const journal = new PostgresRunJournal({ url, schema }, 5, 2);
    const reader = new pg.Client({ connectionString: url });
    await reader.connect();
    const stored = () => storedRuns(reader, schema, `function = 'swept'`, []);
    try {
      const named = run('swept', 'named');
      await journal.save(scope, named, { named: true });
      for (let batch = 0; batch < 20; batch += 1)
        await Promise.all(
          Array.from({ length: 5 }, (_, i) => journal.save(scope, run('swept', batch * 5 + i))),
        );
      // Each trim looked only at what fell out since the one before, and none let the runs pile up.
      expect(await stored()).toBeLessThanOrEqual(5 * 2 + 1);
      expect((await journal.get(scope, 'swept', named.name)).output).toBe('named');
      await new Promise((r) => setTimeout(r, 2_100));
      await Promise.all(Array.from({ length: 5 }, (_, i) => journal.save(scope, run('swept', 100 + i))));
      await expect(journal.get(scope, 'swept', named.name)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await stored()).toBeLessThanOrEqual(5 * 2);
    } finally {
      await journal.close();
      await reader.end();
    }
  });

  it('keeps a function at ten times its bound of named runs, however many a caller names in the window', async () => {
    const [a] = replicas as [PostgresRunJournal];
    const named = Array.from({ length: 200 }, (_, i) => ({ ...run('flood', i), name: `call-${1000 + i}` }));
    for (let batch = 0; batch < 20; batch += 1)
      await Promise.all(
        named.slice(batch * 10, batch * 10 + 10).map((r) => a.save(scope, r, { named: true })),
      );
    const reader = new pg.Client({ connectionString: url });
    await reader.connect();
    const stored = await storedRuns(reader, schema, `function = 'flood'`, []);
    await reader.end();
    // The bound is 5: 50 named runs, and a trim's worth of slack.
    expect(stored).toBeLessThanOrEqual(50 + 10);
    expect(stored).toBeGreaterThanOrEqual(50);
    expect((await a.get(scope, 'flood', 'call-1199')).output).toBe(199);
    await expect(a.get(scope, 'flood', 'call-1000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lists named, non-blocking and blocking runs of a function together, newest first, to the bound', async () => {
    const [a, b] = replicas as [PostgresRunJournal, PostgresRunJournal];
    const at = Math.floor(Date.now() / 1000);
    // Blocking runs go as segments, the others as rows: one list, whichever replica wrote them.
    const blocking = [run('mixed', 'b1', at - 5), run('mixed', 'b2', at - 3), run('mixed', 'b3', at - 1)];
    const accepted = { ...run('mixed', null, at - 4), blocking: false, status: 'INITIALIZED' as const };
    const named = { ...run('mixed', 'n1', at - 2), name: 'delivery-1' };
    await Promise.all(blocking.map((r) => a.save(scope, r)));
    await b.save(scope, accepted);
    await b.save(scope, named, { named: true });
    await a.save(scope, { ...accepted, status: 'READY', output: 'nb' });
    expect((await b.list(scope, 'mixed')).map((r) => r.output)).toEqual(['b3', 'n1', 'b2', 'nb', 'b1']);
    expect((await a.list(scope, 'mixed', at - 3)).map((r) => r.output)).toEqual(['b3', 'n1', 'b2']);
    expect((await b.get(scope, undefined, blocking[1]?.name as string)).output).toBe('b2');
    expect((await a.get(scope, 'mixed', accepted.name)).output).toBe('nb');
    // Past the bound of 5, the oldest go from the list and from storage.
    await Promise.all([1, 2, 3].map((i) => a.save(scope, run('mixed', `later${i}`, at + i))));
    const reader = new pg.Client({ connectionString: url });
    await reader.connect();
    const stored = await storedRuns(reader, schema, `function = 'mixed'`, []);
    await reader.end();
    expect((await b.list(scope, 'mixed')).map((r) => r.output)).toEqual([
      'later3',
      'later2',
      'later1',
      'b3',
      'n1',
    ]);
    expect(stored).toBeLessThanOrEqual(5 * 2);
  });

  it('writes runs with large outputs in segments of their own size, each run readable', async () => {
    const [a] = replicas as [PostgresRunJournal];
    // Three runs of 3 MB saved at once: one segment of them would be 9 MB, a batch of thousands of
    // them more than a string can hold.
    const large = [1, 2, 3].map((i) => run('large', `${i}`.repeat(3 * 1024 * 1024)));
    await Promise.all(large.map((r) => a.save(scope, r)));
    expect((await a.list(scope, 'large')).map((r) => (r.output as string).slice(0, 1))).toEqual([
      '3',
      '2',
      '1',
    ]);
    expect(((await a.get(scope, 'large', (large[0] as Run).name)).output as string).length).toBe(
      3 * 1024 * 1024,
    );
    const reader = new pg.Client({ connectionString: url });
    await reader.connect();
    const { rows } = await reader.query(
      `SELECT runs FROM "${schema}".run_segments WHERE function = 'large' ORDER BY id`,
    );
    await reader.end();
    expect(rows.map((r: { runs: number }) => r.runs)).toEqual([1, 1, 1]);
  });

  it('keeps a run name apart per function, as named runs are', async () => {
    const [a, b] = replicas as [PostgresRunJournal, PostgresRunJournal];
    await a.save(scope, { ...run('one', 'first'), name: 'event-1' });
    await b.save(scope, { ...run('two', 'second'), name: 'event-1' });
    expect((await a.get(scope, 'one', 'event-1')).output).toBe('first');
    expect((await a.get(scope, 'two', 'event-1')).output).toBe('second');
  });

  it('answers UNAVAILABLE, naming the database, when PostgreSQL does not answer', async () => {
    const down = new PostgresRunJournal(
      { url: 'postgres://dispatch:dispatch@127.0.0.1:1/dispatch', schema },
      5,
    );
    const err = await down.get(scope, 'one', 'event-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('PostgreSQL') });
    await down.close();
  });

  it('refuses a schema name that is not a plain SQL name', () => {
    expect(() => new PostgresRunJournal({ url, schema: 'x"; DROP TABLE runs; --' }, 5)).toThrow(
      "the run journal's schema must be a lowercase SQL name",
    );
  });
});
