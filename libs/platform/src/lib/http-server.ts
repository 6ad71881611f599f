import 'reflect-metadata';
import { hostname } from 'node:os';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DomainErrorFilter } from './domain-error.filter.js';
import { parseJson } from './http-input.js';
import { PlatformLogger, tagRequests } from './logging.js';
import { observeHttp } from './metrics.js';
import { startTracing, stopTracing, traceHttp } from './tracing.js';
import { startDraining } from './shutdown.js';

export interface HttpServerOptions {
  /** The root module of the app. */
  module: unknown;
  /** What its log lines name as their service (`solo`, `functions`...). */
  name?: string;
  host: string;
  port: number;
  logLevels?: LogLevel[];
  /** Work that must be done before the first call is answered (solo's first-start bootstrap). */
  beforeListen?: (app: NestFastifyApplication) => Promise<void>;
  /** Stop on SIGTERM/SIGINT (default); tests that start several apps in one process turn it off. */
  handleSignals?: boolean;
  /**
   * On SIGTERM, how long the app reports not ready before it stops taking connections, so Services and
   * an Ingress stop sending it calls first (a service's DISPATCH_SHUTDOWN_DELAY_MS; 0 by default).
   */
  shutdownDelayMs?: number;
}

/** How long a graceful stop may take after the shutdown delay: the run channel drains for up to 30 s. */
const STOP_WITHIN_MS = 40_000;

/**
 * Boots a Nest app on Fastify with the shared error filter and graceful shutdown: on SIGTERM or SIGINT
 * the server stops accepting, lets calls in flight finish, closes the store and bus, and exits 0.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<NestFastifyApplication> {
  await startTracing(options.name ?? 'dispatch');
  const app = await NestFactory.create<NestFastifyApplication>(
    options.module as never,
    new FastifyAdapter({ bodyLimit: 6 * 1024 * 1024 }),
    // Nest's own body parsers are off: acceptJsonBodies registers the JSON one Dispatch wants.
    {
      logger: new PlatformLogger(options.name ?? 'dispatch', options.logLevels ?? ['error', 'warn']),
      abortOnError: false,
      bodyParser: false,
    },
  );
  app.useGlobalFilters(new DomainErrorFilter());
  tagRequests(app);
  traceHttp(app);
  acceptJsonBodies(app);
  nameTheInstance(app);
  observeHttp(app);
  if (options.beforeListen) {
    await app.init();
    await options.beforeListen(app);
  }
  await app.listen(options.port, options.host);
  if (options.handleSignals === false) return app;
  // Nest's own shutdown hooks re-raise the signal after closing, so the process would end "killed";
  // a clean stop should exit 0, which supervisors and tests read as a graceful shutdown.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    // Not ready any more, then a grace period for load balancers to notice, then no new connections and
    // the calls in flight finished.
    startDraining();
    // A stop that never finishes (a client library waiting on a peer forever) must not keep the process:
    // past the delay and the drain, it exits anyway, saying so, as a supervisor's kill would end it.
    setTimeout(
      () => {
        new Logger('shutdown').error(`stopping on ${signal} did not finish in time: exiting`);
        process.exit(1);
      },
      (options.shutdownDelayMs ?? 0) + STOP_WITHIN_MS,
    ).unref();
    new Promise((r) => setTimeout(r, options.shutdownDelayMs ?? 0))
      .then(() => app.close())
      .then(() => stopTracing())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        new Logger('shutdown').error(`stopping on ${signal} failed: ${(err as Error).message}`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return app;
}

/**
 * JSON bodies: an empty one is no body (clients send the content type on DELETE too), and a malformed
 * or too deeply nested one is a 400 that says so.
 */
function acceptJsonBodies(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    // Kept as sent for what signs it (a webhook's signature is over these bytes, not a re-serialisation).
    (req as unknown as { rawBody?: string }).rawBody = text;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, parseJson(text));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/**
 * Every answer says which process gave it (`X-Dispatch-Instance: <host>-<pid>`), as `X-Served-By` does
 * behind other load balancers: with replicas behind an ingress, a caller can tell who served a call.
 */
function nameTheInstance(app: NestFastifyApplication): void {
  const instance = `${hostname()}-${process.pid}`;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (_req, reply, done) => {
      reply.header('x-dispatch-instance', instance);
      done();
    });
}

/** Runs `main`, printing a failure as one line (config errors, a port in use) and exiting non-zero. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    new Logger(name).error(message);
    process.exit(1);
  });
}
