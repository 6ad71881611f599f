import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DeadLetter, Run } from '@dispatch/contracts';
import { startDistributedSession, type DistributedSession } from './distributed-session.js';
import { startExecutionCounter, type ExecutionCounter } from './execution-counter.js';
import { inEachDistributedShape, inEachShape, SETUP_TIMEOUT } from './shapes.js';
import { ROOT, run } from './processes.js';

/** Whether something listens on the loopback port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
import type { Session } from './session.js';
import { eventually, statusOf } from './eventually.js';

const HELLO = `module.exports = function (context, params) {
  return { myField: 'Hello, ' + params.name + ' from ' + (params.place || 'Nowhere'), type: context.event.eventType };
};
`;

/**
 * The events acceptance through the dispatch CLI, the same in both shapes: solo on its in-process bus,
 * and the services on etcd and Kafka behind nginx.
 */
function eventsSuite(shape: string, open: () => Promise<Session>): void {
  describe(`events through the dispatch CLI (${shape})`, () => {
    let session: Session;
    const dispatch = (args: string[], stdin?: string) => session.dispatch(args, stdin);
    /** `dispatch create subscription FN --event-type TYPE --name NAME`, READY before it returns. */
    const subscribe = async (fn: string, eventType: string, name: string) => {
      expect(
        await dispatch(['create', 'subscription', fn, '--event-type', eventType, '--name', name]),
      ).toMatchObject({ code: 0, stdout: `Created subscription: ${name}\n` });
      await statusOf(dispatch, 'subscription', name, 'READY');
    };
    const runsOf = async (fn: string): Promise<Run[]> => {
      const res = await dispatch(['get', 'runs', fn, '-o', 'json']);
      return res.code === 0 ? (JSON.parse(res.stdout) as Run[]) : [];
    };

    beforeAll(async () => {
      session = await open();
      await session.nodejsImage();
      session.write('hello.js', HELLO);
      session.write('fails.js', 'module.exports = () => { throw new Error("never works"); };\n');
      for (const fn of ['hello', 'fails'])
        expect(
          (await dispatch(['create', 'function', '--image', 'nodejs', fn, `./${fn}.js`, '--wait'])).code,
        ).toBe(0);
    }, SETUP_TIMEOUT);

    afterAll(async () => {
      await session?.stop();
    });

    it('runs a subscribed function with the event data as input and the event in its context', async () => {
      await subscribe('hello', 'test.event', 's1');
      const emitted = await dispatch([
        'emit',
        'test.event',
        '--data',
        '{"name":"Jon"}',
        '--event-id',
        'jon-1',
      ]);
      expect(emitted.code).toBe(0);
      const run = await eventually('a run of hello', async () =>
        (await runsOf('hello')).find((r) => r.event?.['eventID'] === 'jon-1'),
      );
      expect(run).toMatchObject({
        status: 'READY',
        input: { name: 'Jon' },
        output: { myField: 'Hello, Jon from Nowhere', type: 'test.event' },
      });
      expect(run.event).toMatchObject({ eventType: 'test.event', eventID: 'jon-1', source: 'dispatch-cli' });
      expect(run.event).not.toHaveProperty('data');
    });

    it('runs the function once for an event emitted twice with one id', async () => {
      for (let i = 0; i < 2; i += 1)
        expect(
          (await dispatch(['emit', 'test.event', '--data', '{"name":"Twice"}', '--event-id', 'twice-1']))
            .code,
        ).toBe(0);
      await eventually('the run', async () =>
        (await runsOf('hello')).find((r) => r.event?.['eventID'] === 'twice-1'),
      );
      await new Promise((r) => setTimeout(r, 500));
      expect((await runsOf('hello')).filter((r) => r.event?.['eventID'] === 'twice-1')).toHaveLength(1);
    });

    it('puts the events of a function that always fails in the dead letters', async () => {
      expect((await dispatch(['create', 'subscription', 'fails', '--event-type', 'doomed.event'])).code).toBe(
        0,
      );
      await statusOf(dispatch, 'subscription', 'fails-doomed-event', 'READY');
      expect((await dispatch(['emit', 'doomed.event', '--data', '{}', '--event-id', 'doomed-1'])).code).toBe(
        0,
      );
      const letters = await eventually('a dead letter', async () => {
        const res = await dispatch([
          'get',
          'dead-letters',
          '--subscription',
          'fails-doomed-event',
          '-o',
          'json',
        ]);
        const list = JSON.parse(res.stdout) as DeadLetter[];
        return list.length ? list : undefined;
      });
      expect(letters[0]).toMatchObject({ function: 'fails', attempts: 5, event: { eventID: 'doomed-1' } });
      expect(letters[0]?.error).toContain('never works');
      const table = await dispatch(['get', 'dead-letters']);
      expect(table.stdout).toContain('doomed-1');
    });

    it('refuses bad input in one line with a non-zero exit', async () => {
      const noType = await dispatch(['create', 'subscription', 'hello']);
      expect(noType.code).toBe(2);
      expect(noType.stderr).toBe(
        'error: invalid subscription: eventType: eventType is required (--event-type)\n',
      );
      const badData = await dispatch(['emit', 'test.event', '--data', '{nope']);
      expect(badData.code).toBe(2);
      expect(badData.stderr).toBe('error: --data is not valid JSON (or give --content-type for text)\n');
      const badType = await dispatch(['emit', 'bad type']);
      expect(badType.code).toBe(2);
      expect(badType.stderr).toContain('may hold letters, digits');
    });

    it('runs a subscribed function from a 1-second timer driver', async () => {
      await subscribe('hello', 'timer.tick', 'on-tick');
      const created = await dispatch([
        'create',
        'eventdriver',
        'timer',
        '--name',
        'every-second',
        '--set',
        'interval=1s',
      ]);
      expect(created).toMatchObject({ code: 0, stdout: 'Created event driver: every-second\n' });
      const ticks = await eventually('two timer runs', async () => {
        const runs = (await runsOf('hello')).filter(
          (r) => r.event?.['source'] === 'dispatch/eventdriver/every-second',
        );
        return runs.length >= 2 ? runs : undefined;
      });
      expect(ticks[0]).toMatchObject({ status: 'READY', event: { eventType: 'timer.tick' } });
      expect((await dispatch(['get', 'eventdriver', 'every-second'])).stdout).toMatch(
        /every-second\s+timer\s+READY/,
      );
      expect((await dispatch(['delete', 'eventdriver', 'every-second'])).code).toBe(0);
      expect((await dispatch(['delete', 'subscription', 'on-tick'])).code).toBe(0);
    });

    it('turns a signed curl POST to a webhook driver into a run, once', async () => {
      await subscribe('hello', 'webhook.request', 'on-hook');
      session.write('hook-key.json', '{"secret":"s3cret"}');
      expect((await dispatch(['create', 'secret', 'hook-key', 'hook-key.json'])).code).toBe(0);
      const created = await dispatch([
        'create',
        'eventdriver',
        'webhook',
        '--name',
        'hook',
        '--secret',
        'hook-key',
      ]);
      expect(created.code).toBe(0);
      const path = /POST to (\S+)\)/.exec(created.stdout)?.[1] as string;
      await statusOf(dispatch, 'eventdriver', 'hook', 'READY');
      // Signed as Standard Webhooks do (a sender such as Svix, or a script with openssl): an id and a
      // timestamp under the signature, so a captured delivery cannot be posted again.
      const body = '{"name":"Curl","place":"a webhook"}';
      const id = `msg_${Date.now()}`;
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = createHmac('sha256', 's3cret').update(`${id}.${timestamp}.${body}`).digest('base64');
      const post = () =>
        run('curl', [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-X',
          'POST',
          '-H',
          'content-type: application/json',
          '-H',
          `webhook-id: ${id}`,
          '-H',
          `webhook-timestamp: ${timestamp}`,
          '-H',
          `webhook-signature: v1,${signature}`,
          '--data',
          body,
          `${session.api}${path}`,
        ]);
      expect((await post()).stdout).toBe('200');
      expect((await post()).stdout).toBe('409');
      const run1 = await eventually('the webhook run', async () =>
        (await runsOf('hello')).find((r) => r.event?.['source'] === 'dispatch/eventdriver/hook'),
      );
      expect(run1.output).toMatchObject({ myField: 'Hello, Curl from a webhook' });
      expect((await dispatch(['delete', 'eventdriver', 'hook'])).code).toBe(0);
    });

    it("runs only the operator's driver programs, and a removed one ends its driver in ERROR", async () => {
      const refused = await dispatch(['create', 'eventdrivertype', 'shell', '/bin/sh']);
      expect(refused).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('driver program /bin/sh is not one an operator installed'),
      });
      // The operator installs a program in the driver-programs directory; a type names it.
      await session.installDriverProgram(
        'ticker.sh',
        `#!/bin/sh
echo '{"specversion":"1.0","type":"ticker.tick","source":"ticker","id":"tick-'"$(date +%s%N)"'","data":{"name":"Ticker","place":"a sandbox"}}'
sleep 60
`,
      );
      await subscribe('hello', 'ticker.tick', 'on-tick-program');
      expect(await dispatch(['create', 'eventdrivertype', 'ticker', 'ticker.sh'])).toMatchObject({ code: 0 });
      expect(await dispatch(['create', 'eventdriver', 'ticker', '--name', 'ticking'])).toMatchObject({
        code: 0,
      });
      const ran = await eventually("the program's event", async () =>
        (await runsOf('hello')).find((r) => r.event?.['source'] === 'ticker'),
      );
      expect(ran.output).toMatchObject({ myField: 'Hello, Ticker from a sandbox' });
      expect(await dispatch(['delete', 'eventdriver', 'ticking'])).toMatchObject({ code: 0 });
      await session.removeDriverProgram('ticker.sh');
      expect((await dispatch(['create', 'eventdriver', 'ticker', '--name', 'haunted'])).code).toBe(0);
      const driver = await statusOf(dispatch, 'eventdriver', 'haunted', 'ERROR');
      expect(driver.reason[0]).toContain('driver program ticker.sh is not one an operator installed');
      const bad = await dispatch(['create', 'eventdriver', 'timer', '--name', 'Bad_Name']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('lower-case letters, digits and -');
    }, 240_000);

    it('stops delivering once the subscription is deleted', async () => {
      expect(await dispatch(['delete', 'subscription', 's1'])).toMatchObject({ code: 0 });
      await new Promise((r) => setTimeout(r, 300));
      expect(
        (await dispatch(['emit', 'test.event', '--data', '{"name":"Late"}', '--event-id', 'late-1'])).code,
      ).toBe(0);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await runsOf('hello')).some((r) => r.event?.['eventID'] === 'late-1')).toBe(false);
    });
  });
}

inEachShape('events', ['images', 'functions', 'secrets', 'events'], eventsSuite);

/** The port of the test broker, which these tests restart. */
const kafkaPort = (process.env['KAFKA_BROKERS'] ?? '').split(',')[0]?.split(':')[1] ?? '9092';

inEachDistributedShape('events through a Kafka broker restart', ({ containers }) => {
  let session: DistributedSession;
  let counter: ExecutionCounter;

  beforeAll(async () => {
    counter = await startExecutionCounter();
    session = await startDistributedSession(
      'events-restart',
      ['images', 'functions', 'events', 'secrets'],
      {},
      { containers },
    );
    await session.nodejsImage();
    session.write('count.js', counter.source);
    expect(
      (await session.dispatch(['create', 'function', '--image', 'nodejs', 'count', './count.js', '--wait']))
        .code,
    ).toBe(0);
    expect(
      (await session.dispatch(['create', 'subscription', 'count', '--event-type', 'burst.event'])).code,
    ).toBe(0);
    await statusOf(session.dispatch, 'subscription', 'count-burst-event', 'READY');
  }, 120_000);

  afterAll(async () => {
    await session?.stop();
    await counter?.close();
  });

  it('runs the function exactly once per event id for 1,000 events emitted across the restart', async () => {
    const TOTAL = 1000;
    const authorization = await session.authorization();
    let refused = 0;
    /** An emit retried until the bus takes it, as a client with the same event id would. */
    const emit = async (i: number): Promise<void> => {
      for (let attempt = 0; ; attempt += 1) {
        const res = await fetch(`${session.api}/v1/event`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-dispatch-org': session.org, authorization },
          body: JSON.stringify({
            specversion: '1.0',
            type: 'burst.event',
            source: 'e2e',
            id: `burst-${i}`,
            data: { i },
          }),
        }).catch(() => undefined);
        if (res?.status === 200) return;
        refused += 1;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    };
    let restart: ReturnType<typeof run> | undefined;
    let brokerDown: Promise<void> = Promise.reject(new Error('the restart never started'));
    brokerDown.catch(() => undefined);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < TOTAL; i = next++) {
        if (i === 300) {
          restart = run(process.execPath, [join(ROOT, 'tools/kafka.js'), 'restart'], {
            KAFKA_KEEP_DATA: '1',
            KAFKA_PORT: kafkaPort,
          });
          // The rest of the stream goes out once the broker is down, so it meets the restart.
          brokerDown = eventually(
            'the broker down',
            async () => ((await portOpen(Number(kafkaPort))) ? undefined : true),
            60_000,
          ).then(() => undefined);
        }
        if (i >= 300) await brokerDown;
        await emit(i);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect((await restart)?.code).toBe(0);
    // The broker went down after the first 300 events and before the rest: the stream met the restart.
    // (Emits during the gap may be refused and sent again, or ride it out in the producer's retries.)
    expect(await brokerDown.then(() => true)).toBe(true);
    await eventually(
      `every event run (emits refused ${refused} times)`,
      async () => ((await counter.seen()).size === TOTAL ? true : undefined),
      180_000,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; ${(await counter.seen()).size} of ${TOTAL} ran`);
    });
    // Late redeliveries would show up now.
    await new Promise((r) => setTimeout(r, 3000));
    const seen = await counter.seen();
    expect(seen.size).toBe(TOTAL);
    expect([...seen.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  }, 300_000);

  it('hands the next run a secret changed right after the restart, not the value from before', async () => {
    const dispatch = session.dispatch;
    const password = async () =>
      (JSON.parse((await dispatch(['exec', 'show-secret', '--input', '{}'])).stdout) as { payload: unknown })
        .payload;
    session.write('secret.json', JSON.stringify({ password: 'before' }));
    expect((await dispatch(['create', 'secret', 'api-key', 'secret.json'])).code).toBe(0);
    session.write('show.js', 'module.exports = (context) => (context.secrets || {}).password ?? null;\n');
    const show = [
      'create',
      'function',
      '--image',
      'nodejs',
      '--secret',
      'api-key',
      'show-secret',
      './show.js',
    ];
    expect((await dispatch([...show, '--wait'])).code).toBe(0);
    // Kept by the functions service, which drops it when the secrets service announces a change.
    expect(await password()).toBe('before');
    expect(await password()).toBe('before');

    const restart = await run(process.execPath, [join(ROOT, 'tools/kafka.js'), 'restart'], {
      KAFKA_KEEP_DATA: '1',
      KAFKA_PORT: kafkaPort,
    });
    expect(restart.code).toBe(0);
    session.write('secret.json', JSON.stringify({ password: 'after' }));
    const updated = await dispatch(['update', 'secret', 'api-key', 'secret.json']);
    expect(updated).toMatchObject({ code: 0, stderr: '' });
    // At once, or within the few seconds an announcement takes: not the minute a lost one would cost.
    await eventually(
      'the changed secret in a run',
      async () => ((await password()) === 'after' ? true : undefined),
      5_000,
    );
  }, 120_000);
});
