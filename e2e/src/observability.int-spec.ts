import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDistributedSession, type DistributedSession } from './distributed-session.js';
import { createNodejsFunction, type Session } from './session.js';
import { ROOT } from './processes.js';
import { statusOf } from './eventually.js';
import { Prometheus, type Sample } from './prometheus.js';
import { inEachDistributedShape, SETUP_TIMEOUT, SHAPES } from './shapes.js';
import { startSoloSession, type SoloSession } from './solo-session.js';

const HELLO = `module.exports = (context, params) => ({ hello: params.name });\n`;
const BROKEN = `module.exports = () => { throw new Error('broken on purpose'); };\n`;
/** Fails each event's first delivery (the runner stays warm between them), then takes it. */
const FLAKY = `const seen = new Set();
module.exports = (context) => {
  const id = context.event.eventID;
  if (!seen.has(id)) { seen.add(id); throw new Error('first try fails'); }
  return 'ok';
};
`;
const SLOW = `module.exports = () => new Promise((resolve) => setTimeout(() => resolve('done'), 1500));\n`;

const value = (samples: Sample[]) => samples.reduce((sum, s) => sum + s.value, 0);

/** Makes nodejs functions from sources, each READY before the next. */
async function createFunctions(session: Session, sources: Record<string, string>): Promise<void> {
  await session.nodejsImage();
  for (const [name, source] of Object.entries(sources))
    expect((await createNodejsFunction(session, name, source)).code).toBe(0);
}

/**
 * Dispatch's metrics as an operator sees them: a real Prometheus scrapes solo with its token, and after
 * a known workload its query API answers the counts per function and outcome.
 */
(SHAPES.includes('solo') ? describe : describe.skip)('metrics scraped by Prometheus (solo)', () => {
  let session: SoloSession;
  let prometheus: Prometheus;

  beforeAll(async () => {
    session = await startSoloSession('observability');
    prometheus = await Prometheus.start([
      {
        job: 'dispatch',
        targets: [new URL(session.api).host],
        tokenFile: join(session.dataDir, 'metrics.token'),
      },
    ]);
    await createFunctions(session, { hello: HELLO, broken: BROKEN });
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    await prometheus?.stop();
    await session?.stop();
  });

  it('counts runs per function and outcome, cold starts with their phases, HTTP calls per route, and times the store and the bus', async () => {
    expect(await prometheus.until('up{job="dispatch"}', (s) => value(s) === 1)).toMatchObject([{ value: 1 }]);
    for (let i = 0; i < 5; i += 1)
      expect((await session.dispatch(['exec', 'hello', '--input', `{"name":"n${i}"}`])).code).toBe(0);
    for (let i = 0; i < 2; i += 1) await session.dispatch(['exec', 'broken']);

    const runs = (fn: string, outcome: string) =>
      `dispatch_function_invocations_total{job="dispatch",org="default",function="${fn}",outcome="${outcome}"}`;
    expect(value(await prometheus.until(runs('hello', 'success'), (s) => value(s) === 5))).toBe(5);
    expect(value(await prometheus.until(runs('broken', 'FunctionError'), (s) => value(s) === 2))).toBe(2);
    expect(value(await prometheus.query(runs('hello', 'SystemError')))).toBe(0);
    // One cold start each: the first call; the others found the process warm.
    const starts = await prometheus.query('dispatch_function_cold_starts_total{function=~"hello|broken"}');
    expect(Object.fromEntries(starts.map((s) => [s.metric['function'], s.value]))).toEqual({
      hello: 1,
      broken: 1,
    });
    expect(value(await prometheus.query('dispatch_function_warm_hits_total{function="hello"}'))).toBe(4);
    const phases = await prometheus.query(
      'sum by (phase) (dispatch_function_cold_start_phase_seconds_count{language="nodejs"})',
    );
    const byPhase = Object.fromEntries(phases.map((s) => [s.metric['phase'], s.value]));
    expect(byPhase['load']).toBeGreaterThanOrEqual(2);
    expect(byPhase['first-run']).toBe(2);
    const duration = await prometheus.query('dispatch_function_duration_seconds_count{function="hello"}');
    expect(value(duration)).toBe(5);
    // Every exec was a POST /v1/runs, counted by its route and status.
    const calls = await prometheus.query(
      'dispatch_http_requests_total{method="POST",route="/v1/runs",code="200"}',
    );
    expect(value(calls)).toBeGreaterThanOrEqual(7);
    // The store's requests and the bus's publishes are timed: creating the functions wrote and
    // announced them.
    const store = await prometheus.query(
      'sum by (operation) (dispatch_store_operation_duration_seconds_count{outcome="ok"})',
    );
    const byOperation = Object.fromEntries(store.map((s) => [s.metric['operation'], s.value]));
    expect(byOperation['create']).toBeGreaterThanOrEqual(2);
    expect(byOperation['update']).toBeGreaterThanOrEqual(2);
    expect(
      value(await prometheus.query('dispatch_bus_publish_duration_seconds_count{outcome="ok"}')),
    ).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it("counts a subscription's deliveries and retries, and how far behind it falls", async () => {
    // The nodejs image is there from beforeAll.
    for (const [fn, source] of Object.entries({ flaky: FLAKY, slow: SLOW }))
      expect((await createNodejsFunction(session, fn, source)).code).toBe(0);
    for (const fn of ['flaky', 'slow']) {
      expect(
        (await session.dispatch(['create', 'subscription', fn, '--event-type', `${fn}.event`])).code,
      ).toBe(0);
      await statusOf(session.dispatch, 'subscription', `${fn}-${fn}-event`, 'READY');
    }
    const emit = (type: string, id: string) =>
      session.dispatch(['emit', type, '--data', '{}', '--event-id', id]);
    expect((await emit('flaky.event', 'flaky-1')).code).toBe(0);
    for (let i = 0; i < 6; i += 1) expect((await emit('slow.event', `slow-${i}`)).code).toBe(0);

    const deliveries = (subscription: string) =>
      `dispatch_subscription_deliveries_total{org="default",subscription="${subscription}",outcome="delivered"}`;
    // The flaky one: delivered once, after one retry.
    expect(value(await prometheus.until(deliveries('flaky-flaky-event'), (s) => value(s) === 1))).toBe(1);
    expect(
      value(await prometheus.query('dispatch_subscription_retries_total{subscription="flaky-flaky-event"}')),
    ).toBeGreaterThanOrEqual(1);
    // The slow one: six events of 1.5 s each, three partitions at a time, fall behind, then catch up.
    const lag = 'dispatch_subscription_lag{org="default",subscription="slow-slow-event"}';
    expect(value(await prometheus.until(lag, (s) => value(s) > 0))).toBeGreaterThan(0);
    expect(value(await prometheus.until(deliveries('slow-slow-event'), (s) => value(s) === 6))).toBe(6);
    expect(await prometheus.until(lag, (s) => s.length === 1 && value(s) === 0)).toMatchObject([
      { value: 0 },
    ]);
  }, 120_000);

  it("draws the Grafana dashboard in deploy/ from valid queries of Dispatch's own series", async () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dispatch.json'), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    // Grafana's variables as its "All" would fill them in.
    const filled = exprs.map((expr) =>
      expr.replaceAll('$__rate_interval', '1m').replaceAll('$org', '.*').replaceAll('$function', '.*'),
    );
    for (const expr of filled) await prometheus.query(expr); // throws on a query Prometheus refuses
    const names = new Set(
      filled.flatMap((expr) => [...expr.matchAll(/dispatch_[a-z_]+/g)].map(([name]) => name)),
    );
    const known = (await prometheus.names()).filter((name) => name.startsWith('dispatch_'));
    // Every series the dashboard draws is one this workload made.
    expect([...names].filter((name) => !known.includes(name))).toEqual([]);
  });
});

/** The distributed shape: each service's own /metrics, scraped with the installation's token. */
inEachDistributedShape('metrics of every service scraped by Prometheus', ({ containers }) => {
  let session: DistributedSession;
  let prometheus: Prometheus;

  beforeAll(async () => {
    session = await startDistributedSession(
      'observability',
      ['identity', 'images', 'functions', 'api-gateway'],
      {},
      { containers },
    );
    prometheus = await Prometheus.start([
      {
        job: 'dispatch',
        targets: Object.values(session.urls).map((url) => new URL(url as string).host),
        tokenFile: session.metricsTokenFile,
      },
    ]);
    await createFunctions(session, { hello: HELLO });
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    await prometheus?.stop();
    await session?.stop();
  });

  it("reads each service's metrics, the runs counted where they ran", async () => {
    const up = await prometheus.until('up{job="dispatch"}', (s) => s.length === 4 && value(s) === 4);
    expect(up.map((s) => s.value)).toEqual([1, 1, 1, 1]);
    for (let i = 0; i < 3; i += 1)
      expect((await session.dispatch(['exec', 'hello', '--input', `{"name":"n${i}"}`])).code).toBe(0);
    const runs = `dispatch_function_invocations_total{service="functions",org="${session.org}",function="hello",outcome="success"}`;
    expect(value(await prometheus.until(runs, (s) => value(s) === 3))).toBe(3);
    // Every service counts its own HTTP calls: the CLI's went through the ingress to each.
    const byService = await prometheus.query('sum by (service) (dispatch_http_requests_total)');
    expect(byService.map((s) => s.metric['service']).sort()).toEqual([
      'api-gateway',
      'functions',
      'identity',
      'images',
    ]);
  }, 120_000);
});
