import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DomainError, type Run } from '@dispatch/contracts';
import { v7 as uuidv7 } from 'uuid';
import type { RunJournal } from '../run-journal.js';

export interface JournalUnderTest {
  journal: RunJournal;
  /** How many runs of a function are physically kept, to see trimming. */
  stored(org: string, project: string, fn: string): Promise<number>;
  close(): Promise<void>;
}

const RETENTION = 5;
const scope = { org: 'default', project: 'default' };

export function run(
  functionName: string,
  output: unknown,
  executedTime = Math.floor(Date.now() / 1000),
): Run {
  return {
    name: uuidv7(),
    functionName,
    functionId: 'f',
    blocking: true,
    input: null,
    output,
    error: null,
    logs: { stdout: [], stderr: [] },
    secrets: [],
    status: 'READY',
    reason: [],
    tags: [],
    executedTime,
    finishedTime: executedTime,
    durationMs: 1,
  };
}

/** The behaviour every RunJournal owes the functions domain; `open` makes one with a bound of 5. */
export function runJournalContract(
  name: string,
  open: (retention: number) => Promise<JournalUnderTest>,
): void {
  describe(`${name} run journal`, () => {
    let t: JournalUnderTest;
    beforeAll(async () => {
      t = await open(RETENTION);
    });
    afterAll(async () => {
      await t.close();
    });

    it('records runs and reads them back, newest first', async () => {
      const runs = [run('a', 1), run('a', 2), run('a', 3)];
      for (const r of runs) await t.journal.save(scope, r);
      expect((await t.journal.list(scope, 'a')).map((r) => r.output)).toEqual([3, 2, 1]);
      expect(await t.journal.get(scope, 'a', runs[1]?.name as string)).toEqual(runs[1]);
      expect(await t.journal.get(scope, undefined, runs[2]?.name as string)).toEqual(runs[2]);
    });

    it('replaces a run that finished later, keeping one record', async () => {
      const accepted = { ...run('b', null), status: 'INITIALIZED' as const };
      await t.journal.save(scope, accepted);
      await t.journal.save(scope, { ...accepted, status: 'READY', output: 'done' });
      expect(await t.journal.list(scope, 'b')).toEqual([{ ...accepted, status: 'READY', output: 'done' }]);
    });

    it('shows at most the bound per function and trims the rest from storage', async () => {
      for (let i = 0; i < RETENTION * 3; i += 1) await t.journal.save(scope, run('c', i));
      expect((await t.journal.list(scope, 'c')).map((r) => r.output)).toEqual([14, 13, 12, 11, 10]);
      expect(await t.stored('default', 'default', 'c')).toBeLessThanOrEqual(RETENTION * 2);
    });

    it('lists every function of a project without a function name, and filters by time', async () => {
      await t.journal.save(scope, run('d', 'old', 1000));
      const all = await t.journal.list(scope, undefined);
      expect(new Set(all.map((r) => r.functionName))).toEqual(new Set(['a', 'b', 'c', 'd']));
      expect((await t.journal.list(scope, 'd', 2000)).length).toBe(0);
      expect((await t.journal.list(scope, 'd', 1000)).length).toBe(1);
    });

    it('keeps orgs and projects apart', async () => {
      await t.journal.save({ org: 'other', project: 'default' }, run('a', 'other org'));
      await t.journal.save({ org: 'default', project: 'p2' }, run('a', 'other project'));
      expect((await t.journal.list({ org: 'other', project: 'default' }, 'a')).map((r) => r.output)).toEqual([
        'other org',
      ]);
      expect((await t.journal.list(scope, 'a')).map((r) => r.output)).toEqual([3, 2, 1]);
    });

    it('forgets a function, and only that one', async () => {
      await t.journal.save(scope, run('ab', 'kept'));
      await t.journal.forget(scope, 'a');
      expect(await t.journal.list(scope, 'a')).toEqual([]);
      expect(await t.stored('default', 'default', 'a')).toBe(0);
      expect((await t.journal.list(scope, 'ab')).map((r) => r.output)).toEqual(['kept']);
    });

    it('answers NOT_FOUND for a run it does not have', async () => {
      await expect(t.journal.get(scope, 'a', uuidv7())).rejects.toBeInstanceOf(DomainError);
      await expect(t.journal.get(scope, undefined, 'nope')).rejects.toThrow(
        'run nope not found in default/default',
      );
    });
  });
}
