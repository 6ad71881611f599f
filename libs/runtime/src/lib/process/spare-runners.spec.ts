import { describe, expect, it } from '@jest/globals';
import type { RunnerProcess } from './runner-process.js';
import { SpareRunners, type SpareKind } from './spare-runners.js';

/** Stand-ins for runners: what the spares bookkeeping sees of them (alive, kill), numbered as started. */
function fakeStarts(fail = () => false) {
  const started: { n: number; kind: SpareKind; alive: boolean; kill: () => Promise<void> }[] = [];
  const start = async (kind: SpareKind) => {
    await new Promise((r) => setTimeout(r, 1));
    if (fail()) throw new Error('no sandbox today');
    const runner = {
      n: started.length + 1,
      kind,
      alive: true,
      kill: async () => void (runner.alive = false),
    };
    started.push(runner);
    return runner as unknown as RunnerProcess;
  };
  return { started, start };
}
const settle = () => new Promise((r) => setTimeout(r, 100));
const node: SpareKind = { language: 'nodejs', memoryMb: 256 };
const python: SpareKind = { language: 'python3', memoryMb: 256 };

describe('spare runners', () => {
  it('starts a kind at its first cold start, keeps two up, and gives the newest first', async () => {
    const { started, start } = fakeStarts();
    const spares = new SpareRunners(start);
    expect(spares.take(node)).toBeUndefined();
    await settle();
    expect(started.map((r) => r.n)).toEqual([1, 2]);
    expect(spares.ready).toBe(2);
    expect((spares.take(node) as unknown as { n: number }).n).toBe(2);
    await settle();
    expect(spares.ready).toBe(2);
    expect(started).toHaveLength(3);
    await spares.close();
  });

  it('never hands out a spare twice, nor one that died', async () => {
    const { started, start } = fakeStarts();
    const spares = new SpareRunners(start);
    spares.take(node);
    await settle();
    (started[1] as { alive: boolean }).alive = false;
    const first = spares.take(node);
    expect(first).toBe(started[0]);
    const second = spares.take(node);
    expect(second).not.toBe(first);
    await spares.close();
  });

  it("keeps kinds apart: a python cold start never gets a nodejs spare, nor one image's function another's", async () => {
    const { start } = fakeStarts();
    const spares = new SpareRunners(start);
    spares.take(node);
    await settle();
    expect(spares.take(python)).toBeUndefined();
    expect(spares.take({ ...node, dependenciesDir: '/images/a' })).toBeUndefined();
    expect(spares.take({ ...node, memoryMb: 512 })).toBeUndefined();
    await spares.close();
  });

  it('does not keep trying when spares fail to start, until the next cold start', async () => {
    let failing = true;
    const { started, start } = fakeStarts(() => failing);
    let attempts = 0;
    const counted = (kind: SpareKind) => ((attempts += 1), start(kind));
    const spares = new SpareRunners(counted);
    spares.take(node);
    await settle();
    expect(attempts).toBe(1);
    failing = false;
    spares.take(node);
    await settle();
    expect(started).toHaveLength(2);
    await spares.close();
  });

  it('stops the spares of the kinds taken least recently, past its number of kinds', async () => {
    const { started, start } = fakeStarts();
    const spares = new SpareRunners(start, { perKind: 1, kinds: 2, idleMs: 60_000 });
    spares.take(node);
    spares.take(python);
    await settle();
    spares.take({ ...node, memoryMb: 512 });
    await settle();
    // Three kinds taken, two kept: the nodejs one, taken least recently, went.
    expect(started.filter((r) => r.alive).map((r) => r.kind)).toEqual([python, { ...node, memoryMb: 512 }]);
    await spares.close();
  });

  it('stops the spares of a kind no cold start took for its idle time', async () => {
    const { started, start } = fakeStarts();
    const spares = new SpareRunners(start, { perKind: 1, kinds: 2, idleMs: 50 });
    spares.take(node);
    await settle();
    await new Promise((r) => setTimeout(r, 300));
    expect(started.filter((r) => r.alive)).toEqual([]);
    expect(spares.ready).toBe(0);
    await spares.close();
  });

  it('stops every spare when closed, and starts none after', async () => {
    const { started, start } = fakeStarts();
    const spares = new SpareRunners(start);
    spares.take(node);
    await settle();
    await spares.close();
    expect(started.every((r) => !r.alive)).toBe(true);
    expect(spares.take(node)).toBeUndefined();
    await settle();
    expect(started).toHaveLength(2);
  });
});
