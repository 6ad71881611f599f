import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDistributedSession } from './distributed-session.js';
import { statusOf } from './eventually.js';
import { startInternet, type Internet } from './internet.js';
import { Jaeger, pathTo, type ReadSpan } from './jaeger.js';
import { createNodejsFunction, type Session } from './session.js';
import { SETUP_TIMEOUT, SHAPES } from './shapes.js';
import { startSoloSession } from './solo-session.js';

/**
 * A function that joins the trace it is called in: from `context.traceparent` it makes a span of its
 * own and sends it, over OTLP/HTTP with nothing but fetch, to the collector named in its input (or, for
 * an event, in its data), as a function instrumented with any OpenTelemetry SDK would.
 */
const TRACED = `const { randomBytes } = require('crypto');
module.exports = async (context, params) => {
  const [, traceId, parentSpanId] = (context.traceparent || '').split('-');
  if (!traceId) return { traceparent: null };
  const start = BigInt(Date.now()) * 1000000n;
  const span = {
    traceId, parentSpanId, spanId: randomBytes(8).toString('hex'), name: 'own work', kind: 1,
    startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1000000n),
  };
  const body = { resourceSpans: [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'traced-function' } }] },
    scopeSpans: [{ scope: { name: 'traced' }, spans: [span] }],
  }] };
  const res = await fetch(params.collector + '/v1/traces', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { traceparent: context.traceparent, exported: res.status };
};
`;

/** A W3C traceparent of a new trace, as a caller that traces sends it. */
function newTrace(): { traceId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

const named = (spans: ReadSpan[], name: string) => spans.find((s) => s.name === name);

/** The trace once the function's own span and every span above it arrived (batches come apart). */
const whole = (jaeger: Jaeger, traceId: string, path: string[]) =>
  jaeger.until(traceId, (spans) => pathTo(spans, 'own work').length === path.length);

const shapes: [string, (env: NodeJS.ProcessEnv) => Promise<Session>][] = [
  ['solo', (env) => startSoloSession('tracing', [], env)],
  [
    'services on etcd and Kafka',
    (env) => startDistributedSession('tracing', ['images', 'functions', 'events', 'api-gateway'], env, {}),
  ],
];

for (const [shape, open] of shapes.filter(([s]) =>
  SHAPES.includes(s.startsWith('solo') ? 'solo' : 'services'),
)) {
  /**
   * Traces as an operator reads them: every process exports to a real Jaeger (OTEL_EXPORTER_OTLP_ENDPOINT,
   * OpenTelemetry's own variable), and one call's trace is read back whole through Jaeger's query API.
   */
  describe(`traces in Jaeger (${shape})`, () => {
    let internet: Internet;
    let jaeger: Jaeger;
    let session: Session;
    const distributed = shape !== 'solo';
    const service = (solo: string, name: string) => (distributed ? name : solo);
    /** Where the session's org's endpoints answer: the root for `default` (solo), else under `/<org>/`. */
    const endpoints = () => session.gateway.http + (session.org === 'default' ? '' : `/${session.org}`);
    /**
     * The trace, once whole, whose spans from `start` go on into the function's own span: the functions
     * service's run channel (distributed), the run, its runner, the function's span.
     */
    const traceThrough = async (traceId: string, start: string[]) => {
      const path = [
        ...start,
        ...(distributed ? ['run channel call'] : []),
        'run traced',
        'runner nodejs',
        'own work',
      ];
      const spans = await whole(jaeger, traceId, path);
      expect(pathTo(spans, 'own work')).toEqual(path);
      return spans;
    };

    beforeAll(async () => {
      internet = await startInternet();
      jaeger = await Jaeger.start(internet);
      session = await open({
        OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlp,
        // Spans leave in batches; a short wait between them keeps the test short.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      });
      await session.nodejsImage();
      expect((await createNodejsFunction(session, 'traced', TRACED)).code).toBe(0);
    }, SETUP_TIMEOUT);

    afterAll(async () => {
      await session?.stop();
      await jaeger?.stop();
      await internet?.stop();
    });

    it("follows one endpoint call through the gateway, the run and its runner into the function's own span", async () => {
      expect(
        (
          await session.dispatch([
            'create',
            'endpoint',
            'traced',
            'traced',
            '--path',
            '/traced',
            '--method',
            'POST',
          ])
        ).code,
      ).toBe(0);
      await statusOf(session.dispatch, 'endpoint', 'traced', 'READY');
      const { traceId, traceparent } = newTrace();
      let answer: Response | undefined;
      for (let i = 0; i < 50; i += 1) {
        answer = await fetch(`${endpoints()}/traced`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', traceparent, 'x-request-id': 'trace-me-1' },
          body: JSON.stringify({ collector: jaeger.otlp }),
        });
        if (answer.status !== 404) break; // the gateway has not seen the endpoint yet
        await new Promise((r) => setTimeout(r, 100));
      }
      const body = (await answer?.json()) as { traceparent: string; exported: number };
      // The function got the context of its runner's span, in the caller's trace, and exported its span.
      expect(body.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(body.exported).toBe(200);

      const spans = await traceThrough(traceId, ['POST endpoint traced']);
      const gateway = named(spans, 'POST endpoint traced') as ReadSpan;
      expect(gateway.service).toBe(service('solo', 'api-gateway'));
      expect(gateway.tags).toMatchObject({
        'dispatch.request_id': 'trace-me-1',
        'http.response.status_code': 200,
      });
      expect(named(spans, 'run traced')?.service).toBe(service('solo', 'functions'));
      expect(named(spans, 'own work')?.service).toBe('traced-function');
      // The runner span's id is the parent the function was handed.
      expect(body.traceparent.split('-')[2]).toBe(named(spans, 'runner nodejs')?.spanId);
    }, 120_000);

    it(`follows one emitted event ${distributed ? 'through Kafka ' : ''}to the run it makes`, async () => {
      expect(
        (await session.dispatch(['create', 'subscription', 'traced', '--event-type', 'traced.event'])).code,
      ).toBe(0);
      await statusOf(session.dispatch, 'subscription', 'traced-traced-event', 'READY');
      const { traceId, traceparent } = newTrace();
      const emitted = await fetch(`${session.api}/v1/event`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: await session.authorization(),
          'x-dispatch-org': session.org,
          traceparent,
        },
        body: JSON.stringify({
          specversion: '1.0',
          id: `traced-${traceId}`,
          source: 'tracing-test',
          type: 'traced.event',
          data: { collector: jaeger.otlp },
        }),
      });
      expect(emitted.status).toBeLessThan(300);
      const spans = await traceThrough(traceId, [
        'POST /v1/event',
        'emit traced.event',
        'deliver traced.event',
      ]);
      expect(named(spans, 'emit traced.event')?.service).toBe(service('solo', 'events'));
      expect(named(spans, 'deliver traced.event')?.tags).toMatchObject({
        'dispatch.subscription': 'traced-traced-event',
        'cloudevents.event_id': `traced-${traceId}`,
      });
    }, 120_000);

    it('ignores a malformed traceparent from a caller, and starts a trace of its own', async () => {
      const answer = await fetch(`${endpoints()}/traced`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: '00-zz-not-a-trace-01\r\nx: y' },
        body: JSON.stringify({ collector: jaeger.otlp }),
      }).catch(() => undefined);
      // fetch itself refuses a header with a newline: then the same call with only the bad id.
      const sent =
        answer ??
        (await fetch(`${endpoints()}/traced`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', traceparent: '00-zz-not-a-trace-01' },
          body: JSON.stringify({ collector: jaeger.otlp }),
        }));
      expect(sent.status).toBe(200);
      const { traceparent } = (await sent.json()) as { traceparent: string };
      const traceId = traceparent.split('-')[1] as string;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      const spans = await jaeger.until(traceId, (s) => pathTo(s, 'own work')[0] === 'POST endpoint traced');
      expect(pathTo(spans, 'own work')[0]).toBe('POST endpoint traced');
    }, 60_000);
  });
}
