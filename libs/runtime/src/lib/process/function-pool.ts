import { DomainError } from '@dispatch/contracts';
import type { RunRequest, RunResponse } from '../protocol.js';
import { RunnerFailure, type RunnerProcess } from './runner-process.js';

export interface PoolSettings {
  /** Most runs at once, each in its own process. */
  concurrency: number;
  /** Calls that may wait for a free process; past this they are refused with RESOURCE_EXHAUSTED. */
  queueLimit: number;
  /** A process idle this long is stopped; with none left the function costs nothing (scale to zero). */
  idleMs: number;
  timeoutMs: number;
}

/** Hands out runner processes with the function loaded: the pool asks for one when it needs more. */
export type RunnerSource = () => Promise<RunnerProcess>;

interface Idle {
  runner: RunnerProcess;
  timer: NodeJS.Timeout;
}

/**
 * The warm processes of one function version. Reuses an idle process, starts another while under the
 * concurrency limit, queues up to a bound beyond it. A process that times out or dies is dropped and
 * its run reported as a SystemError; the next call gets a fresh one.
 */
export class FunctionPool {
  private readonly idle: Idle[] = [];
  private busy = 0;
  private starting = 0;
  private readonly waiting: ((runner: RunnerProcess | Error) => void)[] = [];
  private closed = false;

  constructor(
    private readonly settings: PoolSettings,
    private readonly source: RunnerSource,
  ) {}

  get size(): number {
    return this.idle.length + this.busy + this.starting;
  }

  async invoke(run: RunRequest): Promise<RunResponse> {
    const runner = await this.acquire();
    try {
      const response = await runner.run(run, this.settings.timeoutMs);
      this.release(runner);
      return response;
    } catch (err) {
      this.discard(runner);
      if (err instanceof RunnerFailure) return systemError(err.message);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    for (const { timer } of idle) clearTimeout(timer);
    for (const wake of this.waiting.splice(0))
      wake(new DomainError('UNAVAILABLE', 'the function was removed'));
    await Promise.all(idle.map(({ runner }) => runner.kill()));
  }

  private async acquire(): Promise<RunnerProcess> {
    if (this.closed) throw new DomainError('UNAVAILABLE', 'the function was removed');
    for (let next = this.idle.pop(); next; next = this.idle.pop()) {
      clearTimeout(next.timer);
      if (next.runner.alive) {
        this.busy += 1;
        return next.runner;
      }
    }
    if (this.size < this.settings.concurrency) return this.grow();
    if (this.waiting.length >= this.settings.queueLimit) {
      throw new DomainError(
        'RESOURCE_EXHAUSTED',
        `the function is busy: ${this.settings.concurrency} runs in progress and ${this.waiting.length} waiting; try again shortly`,
      );
    }
    const got = await new Promise<RunnerProcess | Error>((resolve) => this.waiting.push(resolve));
    if (got instanceof Error) throw got;
    return got;
  }

  private async grow(): Promise<RunnerProcess> {
    this.starting += 1;
    try {
      const runner = await this.source();
      this.busy += 1;
      return runner;
    } finally {
      this.starting -= 1;
    }
  }

  private release(runner: RunnerProcess): void {
    this.busy -= 1;
    if (this.closed || !runner.alive) {
      void runner.kill();
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) {
      this.busy += 1;
      waiter(runner);
      return;
    }
    const timer = setTimeout(() => {
      const i = this.idle.findIndex((e) => e.runner === runner);
      if (i >= 0) this.idle.splice(i, 1);
      void runner.kill();
    }, this.settings.idleMs);
    timer.unref();
    this.idle.push({ runner, timer });
  }

  private discard(runner: RunnerProcess): void {
    this.busy -= 1;
    void runner.kill();
    // Someone waiting should not wait for a process that will never come back: start a fresh one.
    const waiter = this.waiting.shift();
    if (waiter)
      this.grow().then(waiter, (err: unknown) => waiter(err instanceof Error ? err : new Error(String(err))));
  }
}

function systemError(message: string): RunResponse {
  return {
    context: { logs: { stdout: [], stderr: [] }, error: { type: 'SystemError', message } },
    payload: null,
  };
}
