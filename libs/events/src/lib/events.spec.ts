import { createHmac } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Global, Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  FUNCTION_INVOKER,
  type DeadLetter,
  type Emission,
  type FunctionInvoker,
  type InvocationRequest,
  type Run,
  SECRETS_RESOLVER,
  type SecretsResolver,
  type Subscription,
} from '@dispatch/contracts';
import { METRICS_REGISTRY, startTestApp, type TestApp } from '@dispatch/platform';
import type { Registry } from 'prom-client';
import { EventsModule } from './events.module.js';

/** Stands in for the functions domain: records each call; a function named `fails` always fails. */
const calls: { org: string; project: string; request: InvocationRequest }[] = [];
const invoker: FunctionInvoker = {
  run: async (scope, request) => {
    calls.push({ ...scope, request });
    const failed = request.functionName === 'fails';
    return {
      name: request.name ?? 'unnamed',
      functionName: request.functionName,
      status: failed ? 'ERROR' : 'READY',
      error: failed ? { type: 'FunctionError', message: 'it always fails' } : null,
      reason: [],
    } as unknown as Run;
  },
};

/** Stands in for the secrets domain: two secrets, `creds` and a webhook's `hook-key`. */
const SECRETS: Record<string, Record<string, string>> = {
  creds: { token: 'tok-123' },
  'hook-key': { secret: 's3cret' },
  loader: { NODE_OPTIONS: '--require /tmp/evil.js' },
};
const secrets: SecretsResolver = {
  resolve: async (_org, _project, names) => {
    const unknown = names.find((n) => !(n in SECRETS));
    if (unknown) throw new Error(`secret ${unknown} not found`);
    return Object.assign({}, ...names.map((n) => SECRETS[n])) as Record<string, string>;
  },
};

@Global()
@Module({
  providers: [
    { provide: FUNCTION_INVOKER, useValue: invoker },
    { provide: SECRETS_RESOLVER, useValue: secrets },
  ],
  exports: [FUNCTION_INVOKER, SECRETS_RESOLVER],
})
class FakeFunctionsModule {}

let app: TestApp;
const call = <T>(method: string, path: string, body?: unknown) => app.call<T>(method, path, body);

async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i += 1) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} did not happen`);
}

async function subscribe(name: string, eventType: string, fn: string, secrets?: string[]): Promise<void> {
  const created = await call<Subscription>('POST', '/v1/event/subscriptions', {
    name,
    eventType,
    function: fn,
    secrets,
  });
  expect(created.status).toBe(201);
  await eventually(
    `subscription ${name} READY`,
    async () =>
      (await call<Subscription>('GET', `/v1/event/subscriptions/${name}`)).body.status === 'READY' ||
      undefined,
  );
}

const emit = (eventType: string, eventID: string, data: unknown) =>
  call<Emission>('POST', '/v1/event', {
    specversion: '1.0',
    type: eventType,
    source: 'test',
    id: eventID,
    data,
  });

/** Where the operator installs driver programs, in this test's data directory. */
let programs = '';

beforeAll(async () => {
  app = await startTestApp((dataDir) => {
    programs = join(dataDir, 'driver-programs');
    mkdirSync(programs, { recursive: true });
    return [FakeFunctionsModule, EventsModule.forRoot({ dataDir, deliveryAttempts: 3, retryBaseMs: 10 })];
  });
});
afterAll(async () => {
  await app.close();
});

describe('emitting', () => {
  it('takes CloudEvents 1.0 and the 0.1 names, and answers with the emission', async () => {
    const v1 = await emit('test.emit', 'e-1', { a: 1 });
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({
      eventType: 'test.emit',
      eventID: 'e-1',
      cloudEventsVersion: '1.0',
      data: { a: 1 },
    });
    expect(v1.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const v01 = await call<Emission>('POST', '/v1/event', {
      cloudEventsVersion: '0.1',
      eventType: 'test.emit',
      eventID: 'e-2',
      source: 'cli',
      contentType: 'application/json',
      data: 'x',
    });
    expect(v01.body).toMatchObject({
      eventType: 'test.emit',
      eventID: 'e-2',
      contentType: 'application/json',
    });
  });

  it('refuses what is not a valid event, naming the problem', async () => {
    const cases: [unknown, string][] = [
      [{ specversion: '1.0', source: 's', id: '1' }, 'type is required'],
      [{ cloudEventsVersion: '0.1', eventType: 'a', source: 's' }, 'eventID is required'],
      [{ specversion: '1.0', type: 'a b', source: 's', id: '1' }, 'eventType "a b" may hold'],
      [{ specversion: '1.0', type: 'a', source: 's', id: '1', time: 'yesterday' }, 'time'],
      [{ hello: 'world' }, 'not a CloudEvent'],
      [[1, 2], 'must be a JSON object'],
    ];
    for (const [body, message] of cases) {
      const res = await call<{ message: string }>('POST', '/v1/event', body);
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(message);
    }
  });
});

describe('subscriptions', () => {
  it('delivers an event to its function: data as input, the event without data as context', async () => {
    await subscribe('s1', 'test.event', 'hello');
    await emit('test.event', 'ev-1', { name: 'Jon' });
    const delivered = await eventually('delivery', () =>
      calls.find((c) => c.request.event?.['eventID'] === 'ev-1'),
    );
    expect(delivered.request).toMatchObject({ functionName: 'hello', input: { name: 'Jon' } });
    expect(delivered.request.event).toMatchObject({ eventType: 'test.event', source: 'test' });
    expect(delivered.request.event).not.toHaveProperty('data');
  });

  it('names the run after the subscription and event id, so a repeated event is the same run', async () => {
    await emit('test.event', 'ev-dup', 1);
    await emit('test.event', 'ev-dup', 1);
    const both = await eventually('two deliveries', () => {
      const found = calls.filter((c) => c.request.event?.['eventID'] === 'ev-dup');
      return found.length === 2 ? found : undefined;
    });
    expect(both[0]?.request.name).toMatch(/^[0-9a-f-]{36}$/);
    expect(both[1]?.request.name).toBe(both[0]?.request.name);
  });

  it('refuses a bad subscription naming the problem', async () => {
    const res = await call<{ message: string }>('POST', '/v1/event/subscriptions', {
      name: 's2',
      function: 'f',
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('eventType is required');
  });

  it('follows an update of the event type, and stops on delete', async () => {
    await subscribe('moving', 'before.type', 'mover');
    await call('PUT', '/v1/event/subscriptions/moving', { eventType: 'after.type', function: 'mover' });
    await eventually('moved', async () => {
      await emit('after.type', `probe-${Date.now()}`, null);
      return calls.some((c) => c.request.functionName === 'mover') || undefined;
    });
    const before = calls.length;
    await emit('before.type', 'old-1', null);
    expect((await call('DELETE', '/v1/event/subscriptions/moving')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    await emit('after.type', 'after-delete', null);
    await new Promise((r) => setTimeout(r, 300));
    const later = calls.slice(before).filter((c) => c.request.functionName === 'mover');
    expect(later.map((c) => c.request.event?.['eventID'])).not.toContain('old-1');
    expect(later.map((c) => c.request.event?.['eventID'])).not.toContain('after-delete');
  });

  it('keeps an event to its own project', async () => {
    await subscribe('p-only', 'project.event', 'in-default');
    await fetch(`${app.url}/v1/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dispatch-project': 'other' },
      body: JSON.stringify({ specversion: '1.0', type: 'project.event', source: 't', id: 'other-1' }),
    });
    await emit('project.event', 'default-1', null);
    await eventually(
      'the default project event',
      () => calls.some((c) => c.request.event?.['eventID'] === 'default-1') || undefined,
    );
    expect(calls.some((c) => c.request.event?.['eventID'] === 'other-1')).toBe(false);
  });

  it('puts an event whose function fails every time in the dead letters, after its attempts', async () => {
    await subscribe('failing', 'fail.event', 'fails');
    await emit('fail.event', 'doomed', { x: 1 });
    const letters = await eventually('a dead letter', async () => {
      const res = await call<DeadLetter[]>('GET', '/v1/event/deadletters?subscription=failing');
      return res.body.length > 0 ? res.body : undefined;
    });
    expect(letters[0]).toMatchObject({
      subscription: 'failing',
      function: 'fails',
      attempts: 3,
      error: 'FunctionError: it always fails',
      event: { eventID: 'doomed', data: { x: 1 } },
    });
    expect(calls.filter((c) => c.request.event?.['eventID'] === 'doomed')).toHaveLength(3);
    // The metrics count it: two attempts made again, then a dead letter.
    const registry = app.app.get<Registry>(METRICS_REGISTRY, { strict: false });
    const value = async (name: string, labels: Record<string, string>) =>
      ((await registry.getSingleMetric(name)?.get())?.values ?? []).find((v) =>
        Object.entries(labels).every(([k, want]) => v.labels[k] === want),
      )?.value ?? 0;
    const failing = { org: 'default', subscription: 'failing' };
    expect(await value('dispatch_subscription_retries_total', failing)).toBe(2);
    expect(
      await value('dispatch_subscription_deliveries_total', { ...failing, outcome: 'dead-lettered' }),
    ).toBe(1);
    expect(await value('dispatch_subscription_deliveries_total', { ...failing, outcome: 'delivered' })).toBe(
      0,
    );
  });
});

describe('event drivers', () => {
  const status = async (name: string, wanted: string) =>
    eventually(`driver ${name} ${wanted}`, async () => {
      const res = await call<{ status: string; reason: string[] }>('GET', `/v1/event/drivers/${name}`);
      return res.body.status === wanted ? res.body : undefined;
    });
  const eventsFrom = (driver: string) =>
    calls.filter((c) => c.request.event?.['source'] === `dispatch/eventdriver/${driver}`);

  it('lists the built-in types and refuses bad drivers, naming the problem', async () => {
    const types = await call<{ name: string }[]>('GET', '/v1/event/drivertypes');
    expect(types.body.map((t) => t.name)).toEqual(expect.arrayContaining(['timer', 'webhook']));
    const upper = await call<{ message: string }>('POST', '/v1/event/drivers', {
      name: 'Tick',
      type: 'timer',
    });
    expect(upper.status).toBe(400);
    expect(upper.body.message).toContain('lower-case letters, digits and -');
    const unknown = await call<{ message: string }>('POST', '/v1/event/drivers', { name: 'x', type: 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('there is no driver type nope');
  });

  it('emits on a timer, READY while it runs', async () => {
    await subscribe('ticks', 'timer.tick', 'on-tick');
    const created = await call('POST', '/v1/event/drivers', {
      name: 'tick',
      type: 'timer',
      config: [{ key: 'interval', value: '200ms' }],
    });
    expect(created.status).toBe(201);
    await status('tick', 'READY');
    await eventually('two ticks', () => (eventsFrom('tick').length >= 2 ? true : undefined));
    expect(eventsFrom('tick')[0]?.request).toMatchObject({
      functionName: 'on-tick',
      input: { driver: 'tick' },
    });
    await call('DELETE', '/v1/event/drivers/tick');
    await new Promise((r) => setTimeout(r, 300));
    const after = eventsFrom('tick').length;
    await new Promise((r) => setTimeout(r, 500));
    expect(eventsFrom('tick').length).toBe(after);
  });

  it('refuses an update whose body names another driver type, and changes neither', async () => {
    writeFileSync(join(programs, 'steady.sh'), '#!/bin/sh\nsleep 60\n', { mode: 0o755 });
    for (const name of ['steady', 'sturdy'])
      await call('POST', '/v1/event/drivertypes', {
        name,
        image: 'steady.sh',
        tags: [{ key: 'n', value: name }],
      });
    const renamed = await call<{ message: string }>('PUT', '/v1/event/drivertypes/steady', {
      name: 'sturdy',
      image: 'steady.sh',
      tags: [{ key: 'n', value: 'changed' }],
    });
    expect(renamed.status).toBe(400);
    expect(renamed.body.message).toBe('the body names event driver type sturdy, the path steady');
    for (const name of ['steady', 'sturdy'])
      expect((await call<{ tags: unknown }>('GET', `/v1/event/drivertypes/${name}`)).body.tags).toEqual([
        { key: 'n', value: name },
      ]);
  });

  it('ends in ERROR with a reason for a bad schedule and a missing program', async () => {
    await call('POST', '/v1/event/drivers', {
      name: 'bad-cron',
      type: 'timer',
      config: [{ key: 'cron', value: 'every day' }],
    });
    expect((await status('bad-cron', 'ERROR')).reason[0]).toContain('cron "every day" is not a schedule');
    // Only programs the operator installed: no host program, and nothing that left since.
    for (const image of ['/usr/bin/node', '../../../usr/bin/node', 'nonexistent']) {
      const refused = await call<{ message: string }>('POST', '/v1/event/drivertypes', {
        name: 'ghost',
        image,
      });
      expect(refused.status).toBe(400);
      expect(refused.body.message).toContain(`driver program ${image} is not one an operator installed`);
    }
    writeFileSync(join(programs, 'fleeting.sh'), '#!/bin/sh\nsleep 60\n', { mode: 0o755 });
    await call('POST', '/v1/event/drivertypes', { name: 'ghost', image: 'fleeting.sh' });
    rmSync(join(programs, 'fleeting.sh'));
    await call('POST', '/v1/event/drivers', { name: 'haunted', type: 'ghost' });
    expect((await status('haunted', 'ERROR')).reason[0]).toContain(
      'driver program fleeting.sh is not one an operator installed',
    );
  });

  it('turns a signed webhook delivery into an event once, and refuses a bad, stale or replayed one', async () => {
    await call('POST', '/v1/event/drivers', { name: 'unsigned', type: 'webhook' });
    expect((await status('unsigned', 'ERROR')).reason[0]).toContain('a webhook needs a shared secret');
    const inSetting = await call<{ message: string }>('POST', '/v1/event/drivers', {
      name: 'shown',
      type: 'webhook',
      config: [{ key: 'secret', value: 's3cret' }],
    });
    expect(inSetting.status).toBe(400);
    expect(inSetting.body.message).toContain('a webhook secret belongs in a secret');
    await subscribe('hooked', 'webhook.request', 'on-hook');
    const created = await call<{ url: string }>('POST', '/v1/event/drivers', {
      name: 'hook',
      type: 'webhook',
      secrets: ['hook-key'],
    });
    expect(created.body.url).toBe('/v1/event/hooks/default/default/hook');
    await status('hook', 'READY');
    const body = JSON.stringify({ ref: 'main' });
    const signed = (id: string, timestamp: number, secret = 's3cret') => ({
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': `v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64')}`,
    });
    const post = (headers: Record<string, string>) =>
      fetch(`${app.url}${created.body.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const now = Math.floor(Date.now() / 1000);
    expect((await post(signed('msg_1', now))).status).toBe(200);
    const replay = await post(signed('msg_1', now));
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as { message: string }).message).toBe(
      'delivery msg_1 was already received by webhook hook',
    );
    for (const [headers, why] of [
      [signed('msg_2', now, 'wrong'), 'No matching signature found'],
      [signed('msg_3', now - 600), 'Message timestamp too old'],
      [
        { 'x-dispatch-signature': `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}` },
        'Missing required headers',
      ],
    ] as const) {
      const bad = await post(headers);
      expect(bad.status).toBe(401);
      expect(((await bad.json()) as { message: string }).message).toContain(why);
    }
    await eventually('the hook event', () =>
      eventsFrom('hook').find((c) => c.request.functionName === 'on-hook'),
    );
    expect(eventsFrom('hook')[0]?.request.input).toEqual({ ref: 'main' });
    expect(eventsFrom('hook')[0]?.request.event).toMatchObject({ eventID: 'hook/msg_1' });
  });

  it('runs a program with its settings, taking events from its output and its socket, and restarts it', async () => {
    const program = join(programs, 'driver.mjs');
    writeFileSync(
      program,
      `#!${process.execPath}
import { request } from 'node:http';
const greeting = process.argv.find((a) => a.startsWith('--greeting=')).split('=')[1];
// In its own PID namespace every start is pid 2: a start is told apart by the time.
const start = Date.now() + '-' + Math.random();
console.log(JSON.stringify({ specversion: '1.0', type: 'program.event', source: 'p', id: 'out-' + start, data: { greeting, via: 'stdout' } }));
const post = request({ socketPath: process.env.DISPATCH_EVENTS_SOCKET, method: 'POST', path: '/' }, (res) => res.resume());
post.end(JSON.stringify({ specversion: '1.0', type: 'program.event', source: 'p', id: 'side-' + start, data: { via: 'socket' } }));
setTimeout(() => process.exit(3), 300);
`,
    );
    chmodSync(program, 0o755);
    const secretive = join(programs, 'secretive.mjs');
    writeFileSync(
      secretive,
      `#!${process.execPath}
console.log(JSON.stringify({ specversion: '1.0', type: 'secret.event', source: 'p', id: 'env-' + process.pid, data: { token: process.env.token ?? null } }));
setInterval(() => {}, 1000);
`,
    );
    chmodSync(program, 0o755);
    await subscribe('programmed', 'program.event', 'on-program');
    await call('POST', '/v1/event/drivertypes', {
      name: 'greeter',
      image: 'driver.mjs',
      config: [{ key: 'greeting', value: 'hi' }],
    });
    await call('POST', '/v1/event/drivers', { name: 'greeter-1', type: 'greeter' });
    const viaBoth = await eventually('events from the program', () => {
      const got = calls.filter((c) => c.request.functionName === 'on-program').map((c) => c.request.input);
      return got.some((i) => (i as { via: string }).via === 'socket') &&
        got.some((i) => (i as { via: string }).via === 'stdout')
        ? got
        : undefined;
    });
    expect(viaBoth).toContainEqual({ greeting: 'hi', via: 'stdout' });
    const crashed = await status('greeter-1', 'ERROR');
    expect(crashed.reason[0]).toContain('exited with code 3');
    expect(crashed.reason[0]).toContain('starting it again in 1 s');
    // Started again: new events from a new process.
    const before = new Set(calls.map((c) => c.request.event?.['eventID']));
    await eventually(
      'a restarted program',
      () =>
        calls.some(
          (c) => c.request.functionName === 'on-program' && !before.has(c.request.event?.['eventID']),
        ) || undefined,
    );
    await call('DELETE', '/v1/event/drivers/greeter-1');

    // Secrets: the driver's in its environment; the subscription's named with each delivery.
    chmodSync(secretive, 0o755);
    await subscribe('with-secrets', 'secret.event', 'on-secret', ['creds']);
    await call('POST', '/v1/event/drivertypes', { name: 'secretive', image: secretive });
    // A secret under a name that would change how a program starts is refused, naming it.
    await call('POST', '/v1/event/drivers', { name: 'loader-1', type: 'secretive', secrets: ['loader'] });
    expect((await status('loader-1', 'ERROR')).reason[0]).toContain(
      'secret key NODE_OPTIONS would change how the driver program starts',
    );
    await call('DELETE', '/v1/event/drivers/loader-1');
    await call('POST', '/v1/event/drivers', { name: 'secretive-1', type: 'secretive', secrets: ['creds'] });
    const delivered = await eventually('the secretive event', () =>
      calls.find((c) => c.request.functionName === 'on-secret'),
    );
    expect(delivered.request.input).toEqual({ token: 'tok-123' });
    expect(delivered.request.secrets).toEqual(['creds']);
    await call('DELETE', '/v1/event/drivers/secretive-1');
  });
});
