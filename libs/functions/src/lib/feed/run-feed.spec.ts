import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Run } from '@dispatch/contracts';
import { InProcessBus } from '@dispatch/messaging';
import { BusRunRelay, FOLLOWS_TOPIC, RUNS_TOPIC } from './bus-run-relay.js';
import { MAX_FOLLOWS_PER_ORG, MAX_UNREAD_BYTES, RunFeed } from './run-feed.js';

const scope = (org = 'acme', project = 'web') => ({ org, project });

function runOf(functionName: string, word: string, extra: Partial<Run> = {}): Run {
  return {
    name: `${functionName}-${word}`,
    functionName,
    functionId: 'id',
    blocking: true,
    input: null,
    output: word,
    error: null,
    logs: { stdout: [word], stderr: [] },
    secrets: [],
    status: 'READY',
    reason: [],
    tags: [],
    executedTime: 1,
    finishedTime: 1,
    durationMs: 1,
    ...extra,
  } as Run;
}

/** What a follower has read so far: the runs' stdout, in order. */
function reader(stream: Readable): { words: () => string[]; text: () => string } {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  return {
    text: () => text,
    words: () =>
      [...text.matchAll(/^data: (.*)$/gm)]
        .map((m) => JSON.parse(m[1] as string) as Run | { reason: string })
        .flatMap((r) => ('logs' in r ? r.logs.stdout : [])),
  };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('RunFeed', () => {
  it("gives a follower the runs of its function that finish, and none of another function's or project's", async () => {
    const feed = new RunFeed();
    const follower = reader(await feed.follow(scope(), 'hello'));
    feed.finished(scope(), runOf('hello', 'one'));
    feed.finished(scope(), runOf('other', 'no'));
    feed.finished(scope('acme', 'elsewhere'), runOf('hello', 'nope'));
    feed.finished(scope('evil', 'web'), runOf('hello', 'never'));
    feed.finished(scope(), runOf('hello', 'two'));
    await until(() => follower.words().length === 2);
    expect(follower.words()).toEqual(['one', 'two']);
    expect(follower.text()).toMatch(/^: following runs of hello\n\n/);
  });

  it('follows every function of the project when no function is named', async () => {
    const feed = new RunFeed();
    const follower = reader(await feed.follow(scope(), undefined));
    feed.finished(scope(), runOf('a', 'one'));
    feed.finished(scope(), runOf('b', 'two'));
    await until(() => follower.words().length === 2);
  });

  it('refuses follows past the bound of an org, and not those of another org', async () => {
    const feed = new RunFeed();
    const held = [];
    for (let i = 0; i < MAX_FOLLOWS_PER_ORG; i += 1) held.push(await feed.follow(scope(), 'hello'));
    await expect(feed.follow(scope(), 'hello')).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    await expect(feed.follow(scope('other'), 'hello')).resolves.toBeDefined();
    held[0]?.destroy();
    await new Promise((r) => setImmediate(r));
    await expect(feed.follow(scope(), 'hello')).resolves.toBeDefined();
  });

  it('drops a follower that stopped reading, closing its connection, rather than holding its runs', async () => {
    const feed = new RunFeed();
    const stream = await feed.follow(scope(), 'hello');
    // Nobody reads: the stream's buffer grows until the bound, then the stream is destroyed.
    const chatty = runOf('hello', 'x', { logs: { stdout: ['z'.repeat(200 * 1024)], stderr: [] } });
    for (let i = 0; i < 12; i += 1) feed.finished(scope(), chatty);
    expect(stream.destroyed).toBe(true);
    expect(stream.readableLength).toBeLessThanOrEqual(MAX_UNREAD_BYTES);
    // Its place is free again.
    const held = [];
    for (let i = 0; i < MAX_FOLLOWS_PER_ORG; i += 1) held.push(await feed.follow(scope(), 'hello'));
    expect(held).toHaveLength(MAX_FOLLOWS_PER_ORG);
  });

  it('gives a follower a run of any size cut to what one event holds; the journal has it whole', async () => {
    const feed = new RunFeed();
    const follower = reader(await feed.follow(scope(), 'hello'));
    feed.finished(
      scope(),
      runOf('hello', 'big', { input: 'i'.repeat(6 * 1024 * 1024), output: 'o'.repeat(16 * 1024 * 1024) }),
    );
    await until(() => /event: run/.test(follower.text()));
    const run = JSON.parse(/^data: (.*)$/m.exec(follower.text())?.[1] as string) as Run;
    expect(run.input).toMatch(
      /^\[the input is larger than 65536 bytes; see dispatch get runs hello hello-big\]$/,
    );
    expect(run.output).toMatch(/^\[the output is larger than/);
    expect(follower.text().length).toBeLessThan(600 * 1024);
  });

  it('refuses to follow a function by a name no function can have', async () => {
    const feed = new RunFeed();
    await expect(feed.follow(scope(), '')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(feed.follow(scope(), 'x'.repeat(5000))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(feed.follow(scope(), 'a/b')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('gives what runs print as they print it to the followers that asked, before the run', async () => {
    const feed = new RunFeed();
    const withLogs = reader(await feed.follow(scope(), 'hello', { logs: true }));
    const runsOnly = reader(await feed.follow(scope(), 'hello'));
    expect(feed.printing(scope(), 'hello')).toBe(true);
    expect(feed.printing(scope(), 'other')).toBe(false);
    feed.printed(scope(), { functionName: 'hello', run: 'r1', stream: 'stdout', text: 'tick\n' });
    feed.finished(scope(), runOf('hello', 'one'));
    await until(() => /event: run/.test(withLogs.text()) && /event: run/.test(runsOnly.text()));
    expect(withLogs.text()).toMatch(
      /event: log\ndata: \{"functionName":"hello","run":"r1","stream":"stdout","text":"tick\\n"\}[\s\S]*event: run/,
    );
    expect(runsOnly.text()).not.toContain('event: log');
  });

  it('ends every follow when the server stops', async () => {
    const feed = new RunFeed();
    const follower = reader(await feed.follow(scope(), 'hello'));
    const ended = new Promise((r) => follower && setTimeout(r, 0));
    feed.beforeApplicationShutdown();
    await ended;
    expect(follower.text()).toContain('data: {"reason":"the server is stopping"}');
  });
});

describe('BusRunRelay: replicas of the functions service', () => {
  const relays: BusRunRelay[] = [];
  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.onApplicationShutdown();
  });

  function replica(bus: InProcessBus): RunFeed {
    const feed = new RunFeed();
    relays.push(new BusRunRelay(bus, feed));
    return feed;
  }

  it('brings a follower on one replica the runs that finish on another, and only the followed ones', async () => {
    const bus = new InProcessBus();
    const [here, there] = [replica(bus), replica(bus)];
    await new Promise((r) => setTimeout(r, 50)); // both subscriptions live
    const follower = reader(await here.follow(scope(), 'hello'));
    const relay = relays[1] as BusRunRelay;
    await until(() => relay.wanted('acme', 'web', 'hello'));
    expect(relay.wanted('acme', 'web', 'other')).toBe(false);
    there.finished(scope(), runOf('hello', 'remote'));
    here.finished(scope(), runOf('hello', 'local'));
    await until(() => follower.words().length === 2);
    expect(follower.words().sort()).toEqual(['local', 'remote']);
  });

  it('tells a replica that starts during a follow what is followed, without waiting for the next turn', async () => {
    const bus = new InProcessBus();
    const here = replica(bus);
    await new Promise((r) => setTimeout(r, 50));
    const follower = reader(await here.follow(scope(), 'hello'));
    const late = replica(bus);
    await until(() => (relays[1] as BusRunRelay).wanted('acme', 'web', 'hello'));
    late.finished(scope(), runOf('hello', 'late'));
    await until(() => follower.words().length === 1);
  });

  it('brings what a run on another replica prints as it prints it, in order, before the run', async () => {
    const bus = new InProcessBus();
    const [here, there] = [replica(bus), replica(bus)];
    await new Promise((r) => setTimeout(r, 50));
    const follower = reader(await here.follow(scope(), 'hello', { logs: true }));
    await until(() => there.printing(scope(), 'hello'));
    for (const text of ['a\n', 'b\n', 'c\n'])
      there.printed(scope(), { functionName: 'hello', run: 'r1', stream: 'stdout', text });
    there.finished(scope(), runOf('hello', 'r1'));
    await until(() => /event: run/.test(follower.text()));
    const order = [...follower.text().matchAll(/^event: (\w+)\n(?:id: .*\n)?data: (.*)$/gm)].map(
      ([, e, d]) => (e === 'log' ? (JSON.parse(d as string) as { text: string }).text.trim() : e),
    );
    expect(order).toEqual(['a', 'b', 'c', 'run']);
  });

  it('stops relaying once the follower is gone', async () => {
    const bus = new InProcessBus();
    const [here] = [replica(bus), replica(bus)];
    await new Promise((r) => setTimeout(r, 50));
    const stream = await here.follow(scope(), undefined);
    const relay = relays[1] as BusRunRelay;
    await until(() => relay.wanted('acme', 'web', 'anything'));
    stream.destroy();
    await until(() => !relay.wanted('acme', 'web', 'anything'));
  });

  it("cuts a run's logs and output to what a broker message holds", async () => {
    const bus = new InProcessBus();
    const [here, there] = [replica(bus), replica(bus)];
    await new Promise((r) => setTimeout(r, 50));
    const follower = reader(await here.follow(scope(), 'hello'));
    await until(() => (relays[1] as BusRunRelay).wanted('acme', 'web', 'hello'));
    const lines = Array.from({ length: 2000 }, (_, i) => `${i} ${'z'.repeat(400)}`);
    there.finished(
      scope(),
      runOf('hello', 'big', { logs: { stdout: lines, stderr: [] }, output: 'o'.repeat(600 * 1024) }),
    );
    await until(() => /event: run/.test(follower.text()));
    const run = JSON.parse(
      /^data: (.*)$/m.exec(follower.text().split('event: run')[1] as string)?.[1] as string,
    ) as Run;
    expect(run.logs.truncated).toBe(true);
    expect(run.output).toMatch(/^\[the output is larger than/);
  });

  it('drops a message of a shape no replica sends, and goes on with the next', async () => {
    const bus = new InProcessBus();
    const [here, there] = [replica(bus), replica(bus)];
    await new Promise((r) => setTimeout(r, 50));
    const follower = reader(await here.follow(scope(), 'hello'));
    await until(() => (relays[1] as BusRunRelay).wanted('acme', 'web', 'hello'));
    await bus.publish(FOLLOWS_TOPIC, [{ key: 'x', value: { project: 'web', emission: 'e', event: {} } }]);
    await bus.publish(RUNS_TOPIC, [{ key: 'x', value: { org: 'acme', project: 'web', run: null } }]);
    there.finished(scope(), runOf('hello', 'after'));
    await until(() => follower.words().length === 1);
  });
});
