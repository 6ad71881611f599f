import type { IncomingHttpHeaders } from 'node:http';
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { currentRequestId } from './logging.js';

// Traces with OpenTelemetry: each process exports its spans over OTLP to the endpoint the operator
// names with OpenTelemetry's own variables (OTEL_EXPORTER_OTLP_ENDPOINT, or ..._TRACES_ENDPOINT), and
// carries the W3C trace context (`traceparent`) on every call it makes: HTTP, the run channel, events
// on the bus (the CloudEvents distributed-tracing extension) and a function's context. With no
// endpoint the SDK is not even loaded and every helper here is a branch on `undefined`.

let tracer: Tracer | undefined;
let stop: (() => Promise<void>) | undefined;

/** Where traces go, from OpenTelemetry's variables; undefined (tracing off) when none is set. */
export function tracesEndpointOf(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['OTEL_SDK_DISABLED'] === 'true' || env['OTEL_TRACES_EXPORTER'] === 'none') return undefined;
  return env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'] || undefined;
}

/**
 * Starts exporting this process's spans when an endpoint is configured: a batch of spans at a time over
 * OTLP (HTTP, protobuf), named after `service` unless OTEL_SERVICE_NAME says otherwise. The SDK reads the
 * rest of OpenTelemetry's variables itself (headers, sampler, batch sizes).
 */
export async function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (tracer || !tracesEndpointOf(env)) return;
  // Loaded only when used: a process without traces pays nothing for them, not even the import.
  // OTLP over HTTP as protobuf (the specification's default) or JSON, as OTEL_EXPORTER_OTLP_PROTOCOL says.
  const protocol = env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] || env['OTEL_EXPORTER_OTLP_PROTOCOL'];
  const exporter =
    protocol === 'http/json'
      ? import('@opentelemetry/exporter-trace-otlp-http')
      : import('@opentelemetry/exporter-trace-otlp-proto');
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      exporter,
      import('@opentelemetry/resources'),
    ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': env['OTEL_SERVICE_NAME'] || service,
      'service.namespace': 'dispatch',
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // The context manager (AsyncLocalStorage) and the W3C trace-context propagator.
  provider.register();
  tracer = provider.getTracer('dispatch');
  stop = () => provider.shutdown();
}

/** Sends the spans still waiting, and stops: the last thing a stopping process does. */
export async function stopTracing(): Promise<void> {
  const stopping = stop;
  tracer = undefined;
  stop = undefined;
  await stopping?.().catch(() => undefined);
}

/** The tracer, while tracing is on: the hot path's test. */
export function activeTracer(): Tracer | undefined {
  return tracer;
}

/**
 * Runs `work` in a span of its own, a child of the current one, ended when `work` settles; an error
 * marks it failed. Without tracing, just `work()`.
 */
export function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  work: (span?: Span) => Promise<T>,
): Promise<T> {
  if (!tracer) return work();
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind, attributes: options.attributes }, parent);
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The current span's context as a `traceparent` (and `tracestate`), to carry on a call; {} without. */
export function traceHeaders(): { traceparent?: string; tracestate?: string } {
  if (!tracer) return {};
  const carrier: { traceparent?: string; tracestate?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** The context a caller's `traceparent` (and `tracestate`) names, to make spans its children. */
export function contextFrom(carrier: object): Context {
  const { traceparent, tracestate } = carrier as { traceparent?: unknown; tracestate?: unknown };
  const headers: Record<string, string> = {};
  if (typeof traceparent === 'string') headers['traceparent'] = traceparent;
  if (typeof tracestate === 'string') headers['tracestate'] = tracestate;
  return propagation.extract(context.active(), headers);
}

/** A server span's attributes for a request: method, path, route and the call's request id. */
function serverAttributes(method: string, path: string, route?: string): Attributes {
  const requestId = currentRequestId();
  return {
    'http.request.method': method,
    'url.path': path,
    ...(route && { 'http.route': route }),
    ...(requestId && { 'dispatch.request_id': requestId }),
  };
}

/**
 * Handles a request of a plain node:http server (the gateway's endpoints) in a server span, a child of
 * the caller's `traceparent` when it sent one; `work` answers with the status the span records.
 */
export function inServerSpan(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  work: (span?: Span) => Promise<number>,
): Promise<number> {
  if (!tracer) return work();
  // Named by what it reached once known (the gateway names its endpoint): a caller's path would make a
  // name per URL anyone cares to send.
  return inSpan(
    `${method} endpoint`,
    { kind: SpanKind.SERVER, attributes: serverAttributes(method, path), parent: contextFrom(headers) },
    async (span) => {
      const status = await work(span);
      span?.setAttribute('http.response.status_code', status);
      if (status >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
      return status;
    },
  );
}

const SPAN = Symbol('dispatch.span');

/**
 * A server span around every call of a Nest app on Fastify, named by its route template, a child of
 * the caller's `traceparent`: what the calls of other services (and of the platform's own clients)
 * join. Registered only with tracing on.
 */
export function traceHttp(app: NestFastifyApplication): void {
  if (!tracer) return;
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, _reply, done) => {
    const active = tracer;
    if (!active) return done();
    const route = request.routeOptions.url;
    const path = request.url.split('?')[0] ?? '/';
    const parent = contextFrom(request.headers);
    const span = active.startSpan(
      `${request.method} ${route ?? 'unmatched'}`,
      { kind: SpanKind.SERVER, attributes: serverAttributes(request.method, path, route) },
      parent,
    );
    (request as unknown as Record<symbol, Span>)[SPAN] = span;
    context.with(trace.setSpan(parent, span), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = (request as unknown as Record<symbol, Span | undefined>)[SPAN];
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}

export { SpanKind };
