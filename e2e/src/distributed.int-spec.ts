import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDistributedSession, type DistributedSession } from './distributed-session.js';

/**
 * The distributed shape with more than one replica of a service, behind the ingress: what Kubernetes
 * does with `replicas: 2`, on processes.
 */
describe('two replicas of the functions service', () => {
  let session: DistributedSession;

  beforeAll(async () => {
    session = await startDistributedSession(
      'replicas',
      ['images', 'functions'],
      {},
      { replicas: { functions: 2 } },
    );
    await session.nodejsImage();
  }, 240_000);
  afterAll(() => session?.stop());

  it('builds a function once and spreads its execs across both', async () => {
    session.write('who.js', 'module.exports = (context, input) => ({ echo: input.i });\n');
    expect(
      await session.dispatch(['create', 'function', '--image', 'nodejs', 'who', 'who.js', '--wait']),
    ).toMatchObject({
      code: 0,
    });
    const authorization = await session.authorization();
    const served = new Map<string, number>();
    for (let i = 0; i < 20; i += 1) {
      const res = await fetch(`${session.api}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dispatch-org': session.org, authorization },
        body: JSON.stringify({ functionName: 'who', blocking: true, input: { i } }),
      });
      const run = (await res.json()) as { output?: { echo: number } };
      expect({ status: res.status, output: run.output }).toEqual({ status: 200, output: { echo: i } });
      const instance = res.headers.get('x-dispatch-instance') ?? 'none';
      served.set(instance, (served.get(instance) ?? 0) + 1);
    }
    // Round-robin over two replicas: each served some, and both ran the one function built once.
    expect(served.size).toBe(2);
    expect([...served.values()].every((n) => n >= 5)).toBe(true);
    const functions = await session.dispatch(['get', 'function', 'who', '-o', 'json']);
    expect(JSON.parse(functions.stdout)).toMatchObject({ name: 'who', status: 'READY' });
  }, 120_000);
});
