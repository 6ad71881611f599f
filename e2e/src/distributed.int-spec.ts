import { generateKeyPairSync } from 'node:crypto';
import { connect } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { RunChannelClient } from '@dispatch/api-client';
import { RUN_CHANNEL_PATH, RUN_CHANNEL_PROTOCOL } from '@dispatch/contracts';
import { acknowledgingClient } from './acknowledged.js';
import { KafkaBus, type BusMessage } from '@dispatch/messaging';
import { startDistributedSession, type DistributedSession } from './distributed-session.js';
import { startExecutionCounter, type ExecutionCounter } from './execution-counter.js';
import { inEachDistributedShape } from './shapes.js';

/**
 * The distributed shape as Kubernetes runs it, on processes and in containers: more than one replica of
 * a service behind the ingress, and a service that crashes and is started again.
 */
inEachDistributedShape('two replicas of the functions service', ({ containers }) => {
  let session: DistributedSession;

  beforeAll(async () => {
    session = await startDistributedSession(
      'replicas',
      ['images', 'functions'],
      {},
      { replicas: { functions: 2 }, containers },
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

  it('finishes and records a non-blocking run when its replica is stopped during it', async () => {
    session.write(
      'slow.js',
      'module.exports = async () => { await new Promise((r) => setTimeout(r, 1500)); return "done"; };\n',
    );
    expect(
      (await session.dispatch(['create', 'function', '--image', 'nodejs', 'slow', 'slow.js', '--wait'])).code,
    ).toBe(0);
    const authorization = await session.authorization();
    const headers = { 'content-type': 'application/json', 'x-dispatch-org': session.org, authorization };
    // Accepted by the second replica, which is then stopped as a rollout would stop it.
    const replica = session.replicaUrls.functions?.[1] as string;
    const accepted = await fetch(`${replica}/v1/runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ functionName: 'slow', blocking: false }),
    });
    expect(accepted.status).toBe(202);
    const { name } = (await accepted.json()) as { name: string };
    await session.terminate('functions', 1);
    // The other replica reads the run from the store: finished, with its output.
    const res = await fetch(`${session.replicaUrls.functions?.[0]}/v1/runs/${name}`, { headers });
    expect(await res.json()).toMatchObject({ name, status: 'READY', output: 'done' });
    await session.restart('functions', 1);
  }, 120_000);

  it('runs calls on the run channel as POST /v1/runs decides them, and a bad line ends only its connection', async () => {
    const functions = session.replicaUrls.functions?.[0] as string;
    const token = (await session.authorization()).replace(/^Bearer /, '');
    const scope = { org: session.org, project: 'default' };
    const channel = new RunChannelClient(functions, () => token, { connections: 1 });
    try {
      const runs = await Promise.all(
        [1, 2, 3].map((i) => channel.run(scope, { functionName: 'who', blocking: true, input: { i } })),
      );
      expect(runs.map((r) => [r.status, r.output])).toEqual([
        ['READY', { echo: 1 }],
        ['READY', { echo: 2 }],
        ['READY', { echo: 3 }],
      ]);
      await expect(channel.run(scope, { functionName: 'nobody', blocking: true })).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: expect.stringContaining('nobody'),
      });
      await expect(
        channel.run(scope, { functionName: 'who', blocking: 'yes' as unknown as boolean }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('blocking') });
    } finally {
      channel.close();
    }
    // A service account of the org that no policy lets run functions: it may open a channel (its
    // credential is good), and each call is refused by the policies, as POST /v1/runs would be.
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pub = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(
      (
        await session.dispatch([
          'iam',
          'create',
          'serviceaccount',
          'onlooker',
          '--public-key',
          session.write('onlooker.pub', pub),
        ])
      ).code,
    ).toBe(0);
    const iat = Math.floor(Date.now() / 1000);
    const onlookerToken = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(`${session.org}/onlooker`)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .sign(keys.privateKey);
    const onlooker = new RunChannelClient(functions, () => onlookerToken);
    try {
      await expect(onlooker.run(scope, { functionName: 'who', blocking: true })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    } finally {
      onlooker.close();
    }
    // No credential: refused in place of the upgrade, as the API refuses a call.
    const anonymous = new RunChannelClient(functions, () => undefined);
    await expect(anonymous.run(scope, { functionName: 'who' })).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    anonymous.close();
    // A line that is not a call: that connection ends, the service does not.
    const { hostname, port } = new URL(functions);
    const socket = connect(Number(port), hostname);
    const closed = new Promise<string>((resolve) => {
      let heard = '';
      socket.on('data', (d: Buffer) => (heard += d.toString()));
      socket.on('close', () => resolve(heard));
    });
    socket.write(
      `GET ${RUN_CHANNEL_PATH} HTTP/1.1\r\nhost: functions\r\nconnection: Upgrade\r\n` +
        `upgrade: ${RUN_CHANNEL_PROTOCOL}\r\nauthorization: Bearer ${token}\r\n\r\n`,
    );
    await new Promise((r) => setTimeout(r, 300));
    socket.write('{"id": "not a number"}\nnot json at all\n');
    expect(await closed).toMatch(/^HTTP\/1\.1 101 /);
    const again = new RunChannelClient(functions, () => token);
    try {
      expect(await again.run(scope, { functionName: 'who', blocking: true, input: { i: 9 } })).toMatchObject({
        output: { echo: 9 },
      });
    } finally {
      again.close();
    }
    expect((await fetch(`${functions}/readyz`)).status).toBe(200);
  }, 60_000);

  it('announces each change on Kafka as <service>.<entity>.<verb>, keyed <org>/<name>', async () => {
    // An operator's consumer of the domain events, from the start of the topics.
    const bus = new KafkaBus({ brokers: [process.env['KAFKA_BROKERS'] as string] });
    const heard: BusMessage<{ type: string; status?: string }>[] = [];
    const types = [
      'images.image.updated',
      'functions.function.created',
      'functions.function.updated',
      'functions.function.deleted',
    ];
    const subscription = await bus.subscribe<{ type: string; status?: string }>({
      topics: types,
      group: `e2e-${session.org}`,
      from: 'earliest',
      handler: async (message) => {
        if (message.key.startsWith(`${session.org}/`)) heard.push(message);
      },
    });
    try {
      session.write('told.js', 'module.exports = () => 1;\n');
      await session.dispatch(['create', 'function', '--image', 'nodejs', 'told', 'told.js', '--wait']);
      expect((await session.dispatch(['delete', 'function', 'told'])).code).toBe(0);
      const said = (name: string) =>
        heard
          .filter((m) => m.key === `${session.org}/${name}`)
          .map((m) => `${m.topic} ${m.value.status ?? ''}`.trim());
      const deadline = Date.now() + 30_000;
      while (!said('told').includes('functions.function.deleted') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      // The image built in beforeAll, by the images service; the function's life, by the functions service.
      expect(said('nodejs')).toContain('images.image.updated READY');
      expect(said('told')).toEqual(
        expect.arrayContaining([
          'functions.function.created INITIALIZED',
          'functions.function.updated READY',
          'functions.function.updated DELETING',
          'functions.function.deleted',
        ]),
      );
      expect(said('told').indexOf('functions.function.created INITIALIZED')).toBe(0);
    } finally {
      await subscription.close();
      await bus.close();
    }
  }, 120_000);
});

inEachDistributedShape('a service killed during a stream of calls, and started again', ({ containers }) => {
  let session: DistributedSession;
  let counter: ExecutionCounter;

  beforeAll(async () => {
    counter = await startExecutionCounter();
    session = await startDistributedSession(
      'kill',
      ['images', 'functions', 'secrets', 'events'],
      {},
      { containers },
    );
    await session.nodejsImage();
    session.write('count.js', counter.source);
    const created = await session.dispatch([
      'create',
      'function',
      '--image',
      'nodejs',
      'count',
      './count.js',
      '--wait',
    ]);
    expect(created.code).toBe(0);
    expect(
      (await session.dispatch(['create', 'subscription', 'count', '--event-type', 'stream.event'])).code,
    ).toBe(0);
    for (let i = 0; i < 100; i += 1) {
      const got = await session.dispatch(['get', 'subscription', 'count-stream-event', '-o', 'json']);
      if ((JSON.parse(got.stdout || '{}') as { status?: string }).status === 'READY') break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 240_000);

  afterAll(async () => {
    await session?.stop();
    await counter?.close();
  });

  it('loses no acknowledged entity, exec or event when the events service is killed and restarted', async () => {
    const TOTAL = 150;
    const authorization = await session.authorization();
    const headers = { 'content-type': 'application/json', 'x-dispatch-org': session.org, authorization };
    const { streamRound, refusals } = acknowledgingClient(session.api, headers);
    let outage: Promise<void> | undefined;
    for (let i = 0; i < TOTAL; i += 1) {
      if (i === 50)
        outage = (async () => {
          await session.kill('events');
          await new Promise((r) => setTimeout(r, 1000));
          await session.restart('events');
        })();
      await streamRound(i);
    }
    await outage;
    // The outage was met: some emits were refused while the events service was down.
    expect(refusals()).toBeGreaterThan(0);

    const secrets = JSON.parse((await session.dispatch(['get', 'secrets', '-o', 'json'])).stdout) as {
      name: string;
    }[];
    expect(secrets.map((s) => s.name).sort()).toEqual(
      Array.from({ length: TOTAL }, (_, i) => `s-${i}`).sort(),
    );
    let seen = await counter.seen();
    for (let wait = 0; wait < 300; wait += 1) {
      if (Array.from({ length: TOTAL }, (_, i) => `e-${i}`).every((id) => seen.has(id))) break;
      await new Promise((r) => setTimeout(r, 200));
      seen = await counter.seen();
    }
    const missing = Array.from({ length: TOTAL }, (_, i) => `e-${i}`).filter((id) => !seen.has(id));
    const twice = [...seen].filter(([id, n]) => id.startsWith('e-') && n > 1).map(([id]) => id);
    expect({ missing, twice }).toEqual({ missing: [], twice: [] });
    expect(Array.from({ length: TOTAL }, (_, i) => `exec-${i}`).filter((id) => !seen.has(id))).toEqual([]);
  }, 240_000);
});
