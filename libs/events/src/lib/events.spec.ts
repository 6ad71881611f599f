import { Global, Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  FUNCTION_INVOKER,
  type DeadLetter,
  type Emission,
  type FunctionInvoker,
  type InvocationRequest,
  type Run,
  type Subscription,
} from '@dispatch/contracts';
import { startTestApp, type TestApp } from '@dispatch/platform';
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

@Global()
@Module({ providers: [{ provide: FUNCTION_INVOKER, useValue: invoker }], exports: [FUNCTION_INVOKER] })
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

async function subscribe(name: string, eventType: string, fn: string): Promise<void> {
  const created = await call<Subscription>('POST', '/v1/event/subscriptions', {
    name,
    eventType,
    function: fn,
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

beforeAll(async () => {
  app = await startTestApp(() => [
    FakeFunctionsModule,
    EventsModule.forRoot({ deliveryAttempts: 3, retryBaseMs: 10 }),
  ]);
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
  });
});
