import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { DomainError, runRequestBody, type Caller, type Run } from '@dispatch/contracts';
import { Action, CallerOf, parseBody, Resource, Scope, type RequestScope } from '@dispatch/platform';
import type { Readable } from 'node:stream';
import { RunFeed } from '../feed/run-feed.js';
import { RunService } from './run.service.js';

interface StatusReply {
  status(code: number): StatusReply;
  send(body: unknown): void;
}

interface HeaderReply {
  header(name: string, value: string): HeaderReply;
}

/** `/v1/runs`: execute a function (200 with the finished Run, 202 when not blocking) and read runs. */
@Controller('v1/runs')
@Resource('function')
export class RunController {
  constructor(
    private readonly runs: RunService,
    private readonly feed: RunFeed,
  ) {}

  @Post()
  @Action('exec')
  async run(
    @Scope() scope: RequestScope,
    @Body() body: unknown,
    @Query('functionName') functionNameQuery: string | undefined,
    @Res() reply: StatusReply,
    @CallerOf() caller?: Caller,
  ): Promise<void> {
    // Checked here rather than by a ValidBody pipe: on the hottest route Nest's pipe machinery cost
    // about 5% of POST /v1/runs throughput (measured A/B, solo, 32 connections).
    const input = parseBody(runRequestBody, body, 'run');
    const functionName = input.functionName ?? functionNameQuery;
    if (!functionName)
      throw new DomainError('INVALID_ARGUMENT', 'functionName is required (in the body or the query)');
    const run = await this.runs.run(scope, { ...input, functionName }, caller);
    reply.status(run.blocking ? 200 : 202).send(run);
  }

  /**
   * The runs recorded, newest first; or with `follow=true` the runs that finish from now on, as they
   * finish: server-sent events (`event: run`, the Run as data), open until the caller closes it. With
   * `logs=true` as well, what the runs print as they print it (`event: log`, {functionName, run,
   * stream, text}), before each run's own event.
   */
  @Get()
  async list(
    @Scope() scope: RequestScope,
    @Res({ passthrough: true }) reply: HeaderReply,
    @Query('functionName') functionName?: string,
    @Query('since') since?: string,
    @Query('follow') follow?: string,
    @Query('logs') logs?: string,
  ): Promise<Run[] | Readable> {
    if (!parseFlag('follow', follow)) return this.runs.list(scope, functionName, parseSince(since));
    if (since !== undefined)
      throw new DomainError('INVALID_ARGUMENT', 'since and follow go apart: list, then follow');
    const stream = await this.feed.follow(scope, functionName, { logs: parseFlag('logs', logs) });
    reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      // nginx buffers an answer unless told not to; a follower waits for each event.
      .header('x-accel-buffering', 'no');
    return stream;
  }

  @Get(':name')
  get(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @Query('functionName') functionName?: string,
  ): Promise<Run> {
    return this.runs.get(scope, functionName, name);
  }
}

function parseFlag(name: string, value: string | undefined): boolean {
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1' || value === '') return true;
  throw new DomainError(
    'INVALID_ARGUMENT',
    `${name} must be true or false, got ${JSON.stringify(value.slice(0, 64))}`,
  );
}

function parseSince(since: string | undefined): number | undefined {
  if (since === undefined) return undefined;
  const value = Number(since);
  if (!Number.isInteger(value))
    throw new DomainError('INVALID_ARGUMENT', `since must be unix seconds, got ${JSON.stringify(since)}`);
  return value;
}
