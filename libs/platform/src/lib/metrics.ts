import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Headers, Inject, Module, Optional, Res, type DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { DomainError } from '@dispatch/contracts';
import { Public } from './access.decorators.js';

/** The process's Prometheus registry: every metric of the process is registered here. */
export const METRICS_REGISTRY = Symbol.for('dispatch.metrics-registry');
const METRICS_TOKEN = Symbol.for('dispatch.metrics-token');

export interface MetricsConfig {
  /** `solo` or the service's name: the `service` label of every series. */
  service: string;
  /**
   * The bearer a scraper sends for `/metrics`. Without one, metrics are off: no registry, nothing
   * counted or timed, and `/metrics` answers 404.
   */
  token?: string;
}

/**
 * The names a process keeps series of, for a kind tenants make at will (functions, subscriptions):
 * each of the first `max` is its own; past them, a name is its org's `_other`. Every series costs the
 * process and Prometheus memory for as long as it lives.
 */
export class BoundedSeries {
  static readonly OTHER = '_other';
  private readonly named = new Set<string>();

  constructor(private readonly max = 2000) {}

  /** The label value `name` (of `org`) gets. */
  nameOf(org: string, name: string): string {
    const key = `${org}/${name}`;
    if (this.named.has(key)) return name;
    if (this.named.size >= this.max) return BoundedSeries.OTHER;
    this.named.add(key);
    return name;
  }
}

/** Latency buckets, in seconds, for calls that take from a fraction of a millisecond to seconds. */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

interface TextReply {
  header(name: string, value: string): TextReply;
}

/**
 * `GET /metrics` in Prometheus's text format, for the scraper holding the metrics token. Series name
 * functions and organisations, which are tenants' to know of each other only through policies, so the
 * route is not public: it checks the token itself (a scraper cannot sign a service account's tokens).
 */
@Controller('metrics')
@Public()
export class MetricsController {
  private readonly expected?: Buffer;

  constructor(
    @Optional() @Inject(METRICS_REGISTRY) private readonly registry: Registry | undefined,
    @Inject(METRICS_TOKEN) token: string | undefined,
  ) {
    this.expected = token ? digest(`Bearer ${token}`) : undefined;
  }

  @Get()
  async metrics(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: TextReply,
  ): Promise<string> {
    if (!this.expected || !this.registry)
      throw new DomainError(
        'NOT_FOUND',
        'metrics are off in this process: set DISPATCH_METRICS_TOKEN, the bearer a scraper sends',
      );
    if (!authorization || !timingSafeEqual(digest(authorization), this.expected))
      throw new DomainError(
        'UNAUTHENTICATED',
        'metrics need the scrape token: send `Authorization: Bearer <DISPATCH_METRICS_TOKEN>`',
      );
    reply.header('content-type', this.registry.contentType);
    return this.registry.metrics();
  }
}

/** Compared as digests: equal lengths for timingSafeEqual, whatever the caller sends. */
const digest = (text: string) => createHash('sha256').update(text).digest();

@Module({})
export class MetricsModule {
  static forRoot(config: MetricsConfig): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [
        {
          provide: METRICS_REGISTRY,
          useFactory: () => (config.token ? processRegistry(config.service) : undefined),
        },
        { provide: METRICS_TOKEN, useValue: config.token },
      ],
      exports: [METRICS_REGISTRY],
    };
  }
}

/** A registry with the process's own metrics (CPU, memory, event-loop delay, GC), labelled `service`. */
function processRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Solo's metrics token: kept in the data directory (only its owner reads it), made on first start, so
 * a local Prometheus reads it as a credentials file.
 */
export function soloMetricsToken(dataDir: string): string {
  const file = join(dataDir, 'metrics.token');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const token = randomBytes(32).toString('base64url');
    try {
      writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
      return token;
    } catch {
      // Another process made it first.
      return readFileSync(file, 'utf8').trim();
    }
  }
}

/**
 * The RED metrics of every HTTP route of an app: calls by method, route and status code, and their
 * duration. The route is Fastify's template (`/v1/function/:name`), never the path a caller chose, so
 * the series stay bounded; a path no route matches counts as `unmatched`.
 */
export function observeHttp(app: NestFastifyApplication): void {
  let registry: Registry | undefined;
  try {
    registry = app.get<Registry | undefined>(METRICS_REGISTRY, { strict: false });
  } catch {
    return; // An app without the platform (a test's) has no metrics.
  }
  if (!registry) return; // metrics are off
  const requests = new Counter({
    name: 'dispatch_http_requests_total',
    help: 'HTTP calls answered, by method, route and status code.',
    labelNames: ['method', 'route', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'dispatch_http_request_duration_seconds',
    help: 'How long HTTP calls took to answer, by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      requests.inc({ method: request.method, route, code: String(reply.statusCode) });
      duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      done();
    });
}
