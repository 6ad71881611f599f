import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

// The platform's own logs: one JSON object a line (Nest's ConsoleLogger in its JSON mode), each with the
// process's service and, while a call is being handled, that call's request id, so the lines of one
// call can be found across services. A person at a terminal (solo, by hand) gets Nest's text lines.

/** The header a call's id travels in: taken from the caller when well formed, else made here. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What a caller's request id may be: an id, not text. Anything else (a newline, a megabyte) is replaced,
 * so a tenant cannot write lines of its own into the platform's logs or grow them.
 */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/** The id of the call being handled in this async context, if any. */
export function currentRequestId(): string | undefined {
  return requestScope.getStore()?.requestId;
}

/** Runs `work` as part of the call with this id (a run channel's call, say), so its logs carry it. */
export function withRequestId<T>(requestId: string | undefined, work: () => T): T {
  return requestScope.run({ requestId: wellFormedOr(requestId) }, work);
}

/** A caller's request id if it is well formed, else a new one. */
export function wellFormedOr(requestId: string | undefined): string {
  return requestId !== undefined && WELL_FORMED.test(requestId) ? requestId : randomUUID();
}

export type LogFormat = 'json' | 'text';

/** `DISPATCH_LOG_FORMAT` when set, else text on a terminal and JSON for everything else (pods, files). */
export function logFormatOf(env: NodeJS.ProcessEnv = process.env): LogFormat {
  const chosen = env['DISPATCH_LOG_FORMAT'];
  if (chosen === 'json' || chosen === 'text') return chosen;
  return process.stdout.isTTY ? 'text' : 'json';
}

/** Nest's logger, in JSON with the service and request id on every line, or in its text lines. */
export class PlatformLogger extends ConsoleLogger {
  constructor(
    private readonly service: string,
    logLevels: LogLevel[],
    format: LogFormat = logFormatOf(),
  ) {
    super({ json: format === 'json', logLevels, colors: format === 'text' && !!process.stdout.isTTY });
  }

  protected override getJsonLogObject(
    message: unknown,
    options: Parameters<ConsoleLogger['getJsonLogObject']>[1],
  ): ReturnType<ConsoleLogger['getJsonLogObject']> {
    const line = super.getJsonLogObject(message, options);
    const requestId = currentRequestId();
    return { ...line, service: this.service, ...(requestId && { requestId }) };
  }
}

/**
 * Gives every call a request id: the caller's `X-Request-Id` when well formed, else a new one. It is
 * answered in the same header, and the call is handled within its scope (currentRequestId).
 */
export function tagRequests(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      const sent = request.headers[REQUEST_ID_HEADER];
      const requestId = wellFormedOr(typeof sent === 'string' ? sent : undefined);
      reply.header(REQUEST_ID_HEADER, requestId);
      requestScope.run({ requestId }, done);
    });
}
