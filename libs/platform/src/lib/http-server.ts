import 'reflect-metadata';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DomainErrorFilter } from './domain-error.filter.js';

export interface HttpServerOptions {
  /** The root module of the app. */
  module: unknown;
  host: string;
  port: number;
  logLevels?: LogLevel[];
}

/**
 * Boots a Nest app on Fastify with the shared error filter and graceful shutdown: on SIGTERM or SIGINT
 * the server stops accepting, lets calls in flight finish, closes the store and bus, and exits 0.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    options.module as never,
    new FastifyAdapter({ bodyLimit: 6 * 1024 * 1024 }),
    { logger: options.logLevels ?? ['error', 'warn'], abortOnError: false },
  );
  app.useGlobalFilters(new DomainErrorFilter());
  await app.listen(options.port, options.host);
  // Nest's own shutdown hooks re-raise the signal after closing, so the process would end "killed";
  // a clean stop should exit 0, which supervisors and tests read as a graceful shutdown.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app
      .close()
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

/** Runs `main`, printing a failure as one line (config errors, a port in use) and exiting non-zero. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    new Logger(name).error(message);
    process.exit(1);
  });
}
