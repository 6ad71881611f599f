import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { packSource } from '@dispatch/api-client';
import { Global, Module } from '@nestjs/common';
import {
  DomainError,
  SECRETS_RESOLVER,
  type DispatchFunction,
  type FunctionSpec,
  type Run,
  type SecretsResolver,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { METRICS_REGISTRY, startTestApp, type TestApp } from '@dispatch/platform';
import type { Registry } from 'prom-client';
import type { ProcessRuntime } from '@dispatch/runtime';
import { FunctionsModule } from './functions.module.js';

let app: TestApp;

/**
 * The secrets service as the functions service meets it: `db` has a value, `flaky` stands for a secret
 * the secrets service cannot serve (down, or refusing the functions service's own credential), and any
 * other name is missing.
 */
const secrets: SecretsResolver = {
  resolve: async (org, project, names) => {
    if (names.includes('flaky')) throw new DomainError('UNAUTHENTICATED', 'the token has expired');
    const missing = names.find((name) => name !== 'db');
    if (missing) throw new DomainError('NOT_FOUND', `secret ${missing} not found in ${org}/${project}`);
    return { password: 'pw' };
  },
};
@Global()
@Module({ providers: [{ provide: SECRETS_RESOLVER, useValue: secrets }], exports: [SECRETS_RESOLVER] })
class SecretsResolverModule {}

const call = <T>(method: string, path: string, body?: unknown, org = 'default') =>
  app.call<T>(method, path, body, org);

async function settled(name: string, org = 'default'): Promise<DispatchFunction> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await call<DispatchFunction>('GET', `/v1/function/${name}`, undefined, org);
    if (body.status === 'READY' || body.status === 'ERROR' || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-src-'));
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

async function createFunction(
  name: string,
  source: string,
  extra: Record<string, unknown> = {},
  org = 'default',
) {
  const res = await call<DispatchFunction>(
    'POST',
    '/v1/function',
    { name, image: 'nodejs', source: await packSource(source), ...extra },
    org,
  );
  return { res, fn: res.status === 201 ? await settled(name, org) : undefined };
}

const exec = (functionName: string, input: unknown, org = 'default') =>
  call<Run>('POST', '/v1/runs', { functionName, input, blocking: true }, org);

const HELLO = `module.exports = function (context, params) {
  console.log('hello called');
  return { myField: 'Hello, ' + params.name + ' from ' + params.place };
};`;

beforeAll(async () => {
  app = await startTestApp((dataDir) => [
    SecretsResolverModule,
    // No backstop retry for a function waiting on its image: only the image's domain event moves it.
    FunctionsModule.forRoot({ dataDir, runRetention: 20, runJournal: 'embedded', imageRetryMs: 3_600_000 }),
  ]);
  // Images belong to the images domain; here they are set up in the store as that domain leaves them.
  const store = app.app.get<EntityStore>(ENTITY_STORE);
  for (const org of ['default', 'other']) {
    for (const language of ['nodejs', 'python3']) {
      await store.create({
        org,
        project: 'default',
        kind: 'image',
        name: language,
        status: 'READY',
        spec: { baseImage: language, language, imageURL: `dispatchframework/${language}-base` },
      });
    }
  }
});
afterAll(async () => {
  await app.close();
});

describe('functions', () => {
  it('creates a function from a single file, becomes READY, and executes it', async () => {
    const { res, fn } = await createFunction('hello', file('hello.js', HELLO));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'hello', image: 'nodejs', kind: 'function' });
    expect(res.body).not.toHaveProperty('source');
    expect(fn).toMatchObject({ status: 'READY', handler: './hello.js' });
    const run = await exec('hello', { name: 'Jon', place: 'Winterfell' });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      functionName: 'hello',
      blocking: true,
      status: 'READY',
      output: { myField: 'Hello, Jon from Winterfell' },
      logs: { stdout: ['hello called'], stderr: [] },
      error: null,
    });
    expect(run.body.name).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('runs a python3 function with its handler inferred from one file', async () => {
    const source = file(
      'hello.py',
      'def handle(ctx, payload):\n    print("py")\n    return {"myField": "Hello, " + payload["name"]}\n',
    );
    await call('POST', '/v1/function', {
      name: 'hello-py',
      image: 'python3',
      source: await packSource(source),
    });
    expect((await settled('hello-py')).handler).toBe('hello.handle');
    expect((await exec('hello-py', { name: 'Jon' })).body).toMatchObject({
      output: { myField: 'Hello, Jon' },
      logs: { stdout: ['py'] },
    });
  });

  it('builds a function waiting for its image when the images service announces the image READY', async () => {
    const store = app.app.get<EntityStore>(ENTITY_STORE);
    const image = await store.create({
      org: 'default',
      project: 'default',
      kind: 'image',
      name: 'later',
      status: 'CREATING',
      spec: { baseImage: 'nodejs', language: 'nodejs', imageURL: 'dispatchframework/nodejs-base' },
    });
    const res = await call('POST', '/v1/function', {
      name: 'patient',
      image: 'later',
      source: await packSource(file('patient.js', 'module.exports = () => "waited";')),
    });
    expect(res.status).toBe(201);
    await new Promise((r) => setTimeout(r, 300));
    expect((await call<DispatchFunction>('GET', '/v1/function/patient')).body.status).not.toBe('READY');
    await store.update({ ...image, status: 'READY' });
    expect(await settled('patient')).toMatchObject({ status: 'READY' });
    expect((await exec('patient', {})).body).toMatchObject({ output: 'waited' });
  });

  it('refuses a duplicate name', async () => {
    await createFunction('dup', file('f.js', HELLO));
    const again = await call<{ message: string }>('POST', '/v1/function', {
      name: 'dup',
      image: 'nodejs',
      source: await packSource(file('f.js', HELLO)),
    });
    expect(again.status).toBe(409);
  });

  it('ends in ERROR with a reason when the handler does not exist', async () => {
    const { fn } = await createFunction('bad-handler', file('hello.js', HELLO), { handler: './missing.js' });
    expect(fn?.status).toBe('ERROR');
    expect(fn?.reason.join(' ')).toMatch(/missing\.js not found/);
    const run = await exec('bad-handler', {});
    expect(run.status).toBe(400);
  });

  it('gives InputError when the input breaks the input schema', async () => {
    await createFunction('typed', file('f.js', 'module.exports = (c, p) => p.n + 1;'), {
      schema: {
        in: { type: 'object', required: ['n'], properties: { n: { type: 'number' } } },
        out: { type: 'number', maximum: 10 },
      },
    });
    expect((await exec('typed', { n: 1 })).body).toMatchObject({ output: 2, error: null });
    expect((await exec('typed', { n: 'one' })).body.error).toMatchObject({
      type: 'InputError',
      message: expect.stringMatching(/\/n must be number/),
    });
    expect((await exec('typed', { n: 20 })).body.error).toMatchObject({
      type: 'FunctionError',
      message: expect.stringMatching(/output must be <= 10/),
    });
  });

  it('gives FunctionError with message and stack for a thrown exception', async () => {
    await createFunction('thrower', file('f.js', "module.exports = () => { throw new Error('it broke'); };"));
    const run = (await exec('thrower', {})).body;
    expect(run).toMatchObject({ status: 'ERROR', error: { type: 'FunctionError', message: 'it broke' } });
    expect(run.error?.stacktrace?.length).toBeGreaterThan(0);
  });

  it('gives InputError for a secret that is missing, SystemError when the secrets service fails', async () => {
    await createFunction('shows', file('f.js', 'module.exports = (c) => c.secrets.password;'));
    const withSecrets = (names: string[]) =>
      call<Run>('POST', '/v1/runs', { functionName: 'shows', input: {}, blocking: true, secrets: names });
    expect((await withSecrets(['db'])).body.output).toBe('pw');
    expect((await withSecrets(['nope'])).body.error).toEqual({
      type: 'InputError',
      message: 'secret nope not found in default/default',
    });
    // Not the caller's doing: the platform's own call failed.
    expect((await withSecrets(['flaky'])).body.error).toEqual({
      type: 'SystemError',
      message: 'the token has expired',
    });
  });

  it('cuts a loop at the timeout as SystemError and serves the next call', async () => {
    await createFunction(
      'looper',
      file('f.js', 'module.exports = (c, p) => { while (p.loop) {} return "ok"; };'),
      { timeout: 300 },
    );
    expect((await exec('looper', { loop: true })).body.error?.type).toBe('SystemError');
    expect((await exec('looper', { loop: false })).body.output).toBe('ok');
  });

  it('counts the runs of each function by outcome, a timeout apart from other system errors, and times them', async () => {
    const registry = app.app.get<Registry>(METRICS_REGISTRY, { strict: false });
    const values = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values ?? [];
    const counted = async (fn: string, outcome: string) =>
      (await values('dispatch_function_invocations_total')).find(
        (v) =>
          v.labels['org'] === 'default' && v.labels['function'] === fn && v.labels['outcome'] === outcome,
      )?.value ?? 0;
    expect(await counted('typed', 'success')).toBe(1);
    expect(await counted('typed', 'InputError')).toBe(1);
    expect(await counted('typed', 'FunctionError')).toBe(1);
    expect(await counted('shows', 'SystemError')).toBe(1);
    expect(await counted('looper', 'timeout')).toBe(1);
    expect(await counted('looper', 'SystemError')).toBe(0);
    expect(await counted('looper', 'success')).toBe(1);
    const timed = (await values('dispatch_function_duration_seconds')).find(
      (v) =>
        (v as { metricName?: string }).metricName === 'dispatch_function_duration_seconds_count' &&
        v.labels['function'] === 'looper',
    );
    expect(timed?.value).toBe(2);
    // typed ran in a process twice (its InputError was decided before): one cold start, one warm call.
    const of = async (name: string, fn: string) =>
      (await values(name)).find((v) => v.labels['function'] === fn)?.value ?? 0;
    expect(await of('dispatch_function_cold_starts_total', 'typed')).toBe(1);
    expect(await of('dispatch_function_warm_hits_total', 'typed')).toBe(1);
    expect(await of('dispatch_function_runners', 'typed')).toBe(1);
    expect(await of('dispatch_function_queue_depth', 'typed')).toBe(0);
    const phases = (await values('dispatch_function_cold_start_phase_seconds')).filter(
      (v) =>
        (v as { metricName?: string }).metricName === 'dispatch_function_cold_start_phase_seconds_count' &&
        v.labels['language'] === 'nodejs',
    );
    for (const phase of ['load', 'first-run'])
      expect(phases.find((v) => v.labels['phase'] === phase)?.value).toBeGreaterThan(0);
  });

  it('takes a literal payload', async () => {
    await createFunction('double', file('f.js', 'module.exports = (c, p) => p * 2;'));
    expect((await exec('double', 42)).body.output).toBe(84);
  });

  it('runs asynchronously with 202 and stores the finished run', async () => {
    await createFunction(
      'later',
      file(
        'f.js',
        'module.exports = async (c, p) => { await new Promise(r => setTimeout(r, 100)); return p; };',
      ),
    );
    const accepted = await call<Run>('POST', '/v1/runs?functionName=later', { input: 'x', blocking: false });
    expect(accepted.status).toBe(202);
    expect(accepted.body.status).toBe('INITIALIZED');
    const deadline = Date.now() + 5000;
    let run = accepted.body;
    while (run.status === 'INITIALIZED' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      run = (await call<Run>('GET', `/v1/runs/${accepted.body.name}?functionName=later`)).body;
    }
    expect(run).toMatchObject({ status: 'READY', output: 'x' });
  });

  it('runs a named call once: the same name again answers the earlier run, unless that one failed', async () => {
    await createFunction('counter', file('f.js', 'let n = 0; module.exports = () => (n += 1);'));
    const name = '0b4e7c1a-9d2f-4e3b-8a6c-5f1d2e3a4b5c';
    const once = (input: unknown) =>
      call<Run>('POST', '/v1/runs', { functionName: 'counter', input, blocking: true, name });
    const first = (await once({})).body;
    expect(first).toMatchObject({ name, status: 'READY', output: 1 });
    expect((await once({})).body).toMatchObject({ name, output: 1 });
    expect((await exec('counter', {})).body.output).toBe(2);

    await createFunction(
      'flaky',
      file(
        'f.js',
        'let n = 0; module.exports = () => { n += 1; if (n === 1) throw new Error("first time"); return n; };',
      ),
    );
    const retried = () =>
      call<Run>('POST', '/v1/runs', {
        functionName: 'flaky',
        blocking: true,
        name: '1c5f8d2b-ae30-4f4c-9b7d-6a2e3f4b5c6d',
      });
    expect((await retried()).body).toMatchObject({ status: 'ERROR', error: { message: 'first time' } });
    expect((await retried()).body).toMatchObject({ status: 'READY', output: 2 });
    expect((await retried()).body).toMatchObject({ status: 'READY', output: 2 });
    const bad = await call<{ message: string }>('POST', '/v1/runs', {
      functionName: 'counter',
      name: 'not-a-uuid',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('name must be a UUID');
  });

  it('runs a named call once even when the same call arrives while the first is still running', async () => {
    await createFunction(
      'lottery',
      file(
        'lottery.js',
        'module.exports = async () => { await new Promise((r) => setTimeout(r, 300)); return Math.random(); };',
      ),
    );
    const name = '5b0c7a3e-2f4d-4c1b-9a8e-7d6f5e4c3b2a';
    // As a redelivered event does: the same named call again before the first has answered.
    const [first, second] = await Promise.all(
      [0, 1].map(() => call<Run>('POST', '/v1/runs', { functionName: 'lottery', name, blocking: true })),
    );
    expect(first?.body.output).toEqual(expect.any(Number));
    expect(second?.body.output).toBe(first?.body.output);
    const later = await call<Run>('POST', '/v1/runs', { functionName: 'lottery', name, blocking: true });
    expect(later.body.output).toBe(first?.body.output);
  });

  it('lists runs per function, newest first, within the retention bound', async () => {
    await createFunction('counted', file('f.js', 'module.exports = (c, p) => p;'));
    for (let i = 0; i < 45; i += 1) await exec('counted', i);
    // Runs are stored just behind the answer: give the last one a moment to land.
    let runs: Run[] = [];
    for (let i = 0; i < 50 && runs[0]?.output !== 44; i += 1) {
      runs = (await call<Run[]>('GET', '/v1/runs?functionName=counted')).body;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(runs.map((r) => r.output)).toEqual(Array.from({ length: 20 }, (_, i) => 44 - i));
    expect(runs.every((r) => r.functionName === 'counted')).toBe(true);
  });

  (process.getuid?.() === 0 ? it : it.skip)(
    "keeps a function out of the data directory and other functions' code (sandbox, as root)",
    async () => {
      await createFunction(
        'peeker',
        file(
          'f.js',
          `const fs = require('fs');
module.exports = (c, paths) => ({ uid: process.getuid(), read: paths.filter((p) => { try { fs.statSync(p).isDirectory() ? fs.readdirSync(p) : fs.readFileSync(p); return true; } catch { return false; } }) });`,
        ),
      );
      const store = join(app.dataDir, 'store', 'entities.mdb');
      const helloCode = join(app.dataDir, 'functions', 'default', 'default', 'hello');
      const { body } = await exec('peeker', [store, helloCode]);
      expect(body.error).toBeNull();
      expect(body.output).toMatchObject({ read: [] });
      expect((body.output as { uid: number }).uid).not.toBe(0);
    },
  );

  it('answers 200 concurrent execs correctly', async () => {
    await createFunction('square', file('f.js', 'module.exports = (c, p) => p * p;'));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => exec('square', i)));
    expect(results.map((r) => r.body.output)).toEqual(Array.from({ length: 200 }, (_, i) => i * i));
  }, 60_000);

  it('updates the code without dropping the old version or a call in flight', async () => {
    await createFunction(
      'versioned',
      file('f.js', 'module.exports = (c, p) => new Promise((r) => setTimeout(() => r("v1"), p));'),
    );
    const inFlight = exec('versioned', 600);
    await new Promise((r) => setTimeout(r, 100));
    const updated = await call<DispatchFunction>('PUT', '/v1/function/versioned', {
      image: 'nodejs',
      source: await packSource(file('f.js', 'module.exports = () => "v2";')),
    });
    expect(updated.status).toBe(200);
    const during = (await exec('versioned', 0)).body;
    expect(during).toMatchObject({ error: null });
    expect(['v1', 'v2']).toContain(during.output);
    expect(await settled('versioned')).toMatchObject({ status: 'READY', reason: [] });
    expect((await exec('versioned', 0)).body.output).toBe('v2');
    expect((await inFlight).body).toMatchObject({ output: 'v1', error: null });
  });

  it('refuses an update whose body names another function, and changes neither', async () => {
    await createFunction('kept', file('f.js', 'module.exports = () => "kept";'));
    await createFunction('other', file('f.js', 'module.exports = () => "other";'));
    const res = await call<{ message: string }>('PUT', '/v1/function/kept', {
      name: 'other',
      image: 'nodejs',
      source: await packSource(file('f.js', 'module.exports = () => "changed";')),
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('the body names function other, the path kept');
    expect((await exec('kept', 0)).body.output).toBe('kept');
    expect((await exec('other', 0)).body.output).toBe('other');
  });

  it('deletes a function with its runs, its processes and its files', async () => {
    await createFunction('gone', file('f.js', HELLO));
    await exec('gone', { name: 'a', place: 'b' });
    const runtime = app.app.get<ProcessRuntime>(Symbol.for('dispatch.function-runtime'));
    const stored = await app.app
      .get<EntityStore>(ENTITY_STORE)
      .get<FunctionSpec>({ org: 'default', project: 'default', kind: 'function', name: 'gone' });
    const key = stored.spec.backingObject?.key ?? 'none';
    expect(runtime.processes(key)).toBeGreaterThan(0);
    expect((await call('DELETE', '/v1/function/gone')).status).toBe(200);
    const deadline = Date.now() + 5000;
    while ((await call('GET', '/v1/function/gone')).status !== 404 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect((await call('GET', '/v1/function/gone')).status).toBe(404);
    expect((await call<Run[]>('GET', '/v1/runs?functionName=gone')).body).toEqual([]);
    expect(runtime.processes(key)).toBe(0);
    expect(existsSync(join(app.dataDir, 'functions', 'default', 'default', 'gone'))).toBe(false);
  });

  it('keeps two orgs apart', async () => {
    await createFunction('same', file('f.js', 'module.exports = () => "default";'));
    await createFunction('same', file('f.js', 'module.exports = () => "other";'), {}, 'other');
    expect((await exec('same', null)).body.output).toBe('default');
    expect((await exec('same', null, 'other')).body.output).toBe('other');
    expect((await call('GET', '/v1/function/hello', undefined, 'other')).status).toBe(404);
  });

  it('refuses a function on a missing image, without source, or with a bad schema', async () => {
    const source = await packSource(file('f.js', HELLO));
    expect(
      (await call<{ message: string }>('POST', '/v1/function', { name: 'x', image: 'nope', source })).body
        .message,
    ).toMatch(/image nope not found/);
    expect(
      (await call<{ message: string }>('POST', '/v1/function', { name: 'x', image: 'nodejs' })).body.message,
    ).toMatch(/source is required/);
    const bad = await call<{ message: string }>('POST', '/v1/function', {
      name: 'x',
      image: 'nodejs',
      source,
      schema: { in: { type: 'nonsense' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/schema.in is not a valid JSON schema/);
  });
});
