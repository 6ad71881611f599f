import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDistributedSession } from './distributed-session.js';
import { startKubernetesSession } from './kubernetes-session.js';
import { createNodejsFunction, type Session } from './session.js';
import { SETUP_TIMEOUT, SHAPES } from './shapes.js';
import { startSoloSession } from './solo-session.js';

/** Prints what it is given on stdout and stderr; fails when asked to. */
const TALKER = `module.exports = (context, params) => {
  console.log('out ' + params.word);
  console.error('err ' + params.word);
  if (params.fail) throw new Error('failed on purpose');
  return params.word;
};
`;

/** A follow as a plain client makes it: its answer, what it has sent so far, and a way to hang up. */
interface RawFollow {
  status: number;
  type: string | undefined;
  received(): string;
  body(): Promise<string>;
  close(): void;
}

/**
 * node:http rather than fetch, whose cancelled body leaves a connection open behind it that would keep
 * the server's stop waiting.
 */
function followRaw(url: string, headers: Record<string, string>): Promise<RawFollow> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      const ended = new Promise<string>((done) => res.on('end', () => done(text)));
      resolve({
        status: res.statusCode ?? 0,
        type: res.headers['content-type'],
        received: () => text,
        body: () => ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Prints a line, works for two seconds, prints another. */
const TICKER = `module.exports = async () => {
  console.log('tick');
  await new Promise((resolve) => setTimeout(resolve, 2000));
  console.log('tock');
  return 'done';
};
`;

/**
 * Following runs as they happen, through the CLI: `dispatch logs -f` and `dispatch get runs -f`. The
 * services shape runs two replicas of the functions service behind nginx, so runs land on both and
 * reach a follower connected to either.
 */
const shapes: [string, () => Promise<Session>][] = [
  ['solo', () => startSoloSession('logs')],
  [
    'services on etcd and Kafka, two functions replicas',
    () => startDistributedSession('logs', ['images', 'functions'], {}, { replicas: { functions: 2 } }),
  ],
  ['installed with its chart on Kubernetes', () => startKubernetesSession('logs', { shared: true })],
];
const picked = shapes.filter(([shape]) =>
  SHAPES.includes(
    shape.startsWith('services') ? 'services' : shape.startsWith('installed') ? 'kubernetes' : 'solo',
  ),
);

for (const [shape, open] of picked) {
  describe(`live logs and runs (${shape})`, () => {
    let session: Session;

    beforeAll(async () => {
      session = await open();
      await session.nodejsImage();
      expect((await createNodejsFunction(session, 'talker', TALKER)).code).toBe(0);
      expect((await createNodejsFunction(session, 'ticker', TICKER)).code).toBe(0);
    }, SETUP_TIMEOUT);

    afterAll(async () => {
      await session?.stop();
    });

    const exec = (input: object) => session.dispatch(['exec', 'talker', '--input', JSON.stringify(input)]);

    it('prints what runs started after `dispatch logs -f` began print, and stops on Ctrl-C', async () => {
      // A run before the follow: shown first (the latest runs), then the new ones as they finish.
      expect((await exec({ word: 'before' })).code).toBe(0);
      const logs = session.dispatch.live(['logs', 'talker', '-f']);
      await logs.until(/out before/);
      // Enough runs that nginx puts some on each replica.
      for (let i = 0; i < 6; i += 1) expect((await exec({ word: `live-${i}` })).code).toBe(0);
      expect((await exec({ word: 'boom', fail: true })).code).not.toBe(0);
      await logs.until(/out boom/);
      const ended = await logs.interrupt();
      const lines = ended.stdout.trim().split('\n');
      expect(lines).toEqual(['out before', ...[0, 1, 2, 3, 4, 5].map((i) => `out live-${i}`), 'out boom']);
      expect(ended.stderr).toContain('err live-5\nerr boom');
      expect(ended.stderr).not.toMatch(/error|Error/);
      expect(ended.code).toBe(130);
    }, 120_000);

    it('prints what a run prints while it runs, not only when it ends', async () => {
      const logs = session.dispatch.live(['logs', 'ticker', '-f', '--tail', '0']);
      await new Promise((r) => setTimeout(r, 500));
      // Twice: with two replicas, one of the runs is likely on the other one.
      for (let i = 0; i < 2; i += 1) {
        let finished = false;
        const exec = session.dispatch(['exec', 'ticker']).then((r) => ((finished = true), r));
        await logs.until(new RegExp(`^(tick\\n(tock\\n)?){${i}}tick\\n$`), 10_000);
        // The first line is out while the run still has its two seconds to go.
        expect(finished).toBe(false);
        expect((await exec).code).toBe(0);
        await logs.until(new RegExp(`^(tick\\ntock\\n){${i + 1}}$`));
      }
      expect((await logs.interrupt()).code).toBe(130);
    }, 60_000);

    it('lists runs as they finish with `dispatch get runs -f`, a failed one with its error', async () => {
      const runs = session.dispatch.live(['get', 'runs', 'talker', '-f']);
      await runs.until(/^ID\s+FUNCTION\s+STATUS/);
      expect((await exec({ word: 'row', fail: true })).code).not.toBe(0);
      await runs.until(/ERROR \(FunctionError: failed on purpose\)/);
      expect((await runs.interrupt()).code).toBe(130);
    }, 60_000);

    it('prints the latest runs without -f, as many as --tail says', async () => {
      const last = await session.dispatch(['logs', 'talker', '--tail', '2']);
      expect(last).toMatchObject({ code: 0, stdout: 'out boom\nout row\n' });
      const all = await session.dispatch(['logs']);
      expect(all.stdout).toContain('talker | out row');
      expect((await session.dispatch(['logs', 'talker', '--tail', 'many'])).stderr).toContain(
        '--tail takes a number of runs, got many',
      );
    }, 60_000);

    it("never shows a follower another project's runs, and bounds how many follows an org holds", async () => {
      const authorization = await session.authorization();
      const follow = (project: string) =>
        followRaw(`${session.api}/v1/runs?follow=true`, {
          authorization,
          'x-dispatch-org': session.org,
          'x-dispatch-project': project,
        });
      const elsewhere = await follow('elsewhere');
      expect(elsewhere.status).toBe(200);
      expect(elsewhere.type).toMatch(/^text\/event-stream/);
      const here = session.dispatch.live(['logs', '-f', '--tail', '0']);
      await new Promise((r) => setTimeout(r, 500));
      expect((await exec({ word: 'private' })).code).toBe(0);
      await here.until(/talker \| out private/);
      await new Promise((r) => setTimeout(r, 500));
      // Its opening comment, and no run.
      expect(elsewhere.received()).toBe(': following runs of project elsewhere\n\n');
      elsewhere.close();
      await here.interrupt();

      // Follows past the org's bound are refused with the reason; closing them frees the room. One
      // process holds the count: with replicas each has its own, so this is solo's.
      if (shape !== 'solo') return;
      const open: RawFollow[] = [];
      for (let i = 0; i < 32; i += 1) open.push(await follow('default'));
      expect(open.map((r) => r.status)).toEqual(Array(32).fill(200));
      const refused = await follow('default');
      expect(refused.status).toBe(429);
      expect(JSON.parse(await refused.body())).toMatchObject({
        errorCode: 'RESOURCE_EXHAUSTED',
        message: expect.stringContaining('already follows runs on 32 streams'),
      });
      for (const r of open) r.close();
      await new Promise((r) => setTimeout(r, 200));
      const again = await follow('default');
      expect(again.status).toBe(200);
      again.close();
    }, 60_000);
  });
}
