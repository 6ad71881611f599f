import { DomainError } from '@dispatch/contracts';
import type { RunRequest, RunResponse } from './protocol.js';
import { RunnerFailure, type Runner } from './runner-connection.js';

export interface PoolSettings {
  /** Most processes at once. */
  concurrency: number;
  /**
   * Most calls one process holds at once: it runs them one after another, in order. More than one lets
   * a busy process find its next call waiting instead of being woken for it.
   */
  pipeline: number;
  /** Calls that may wait for room; past this they are refused with RESOURCE_EXHAUSTED. */
  queueLimit: number;
  /** A process idle this long is stopped; with none left the function costs nothing (scale to zero). */
  idleMs: number;
  timeoutMs: number;
}

/**
 * How long a call may wait behind others on a busy process rather than go to another. A quick function's
 * calls then share one process, which is woken once for many of them: on a loaded host the wakeup costs
 * more than such a call. A call that takes longer than this never waits behind another by choice.
 */
const PACK_MS = 1;
/** The most calls packed on one process, however quick they are. */
const PACK_LIMIT = 32;

/** Starts a runner process with the function loaded: the pool asks for one when it needs more. */
export type RunnerSource = () => Promise<Runner>;

/** What a pool tells of its calls: the first one a new process took, and those a warm one took. */
export interface PoolObserver {
  firstRun(seconds: number): void;
  warmHit(): void;
}

/**
 * The warm processes of one function version. A call goes behind the calls of a busy process when it
 * would start there within PACK_MS (a quick function), else to an idle process; else to a new one while
 * under the concurrency limit; else behind the calls of the least loaded process, up to the pipeline
 * depth; else it waits in a bounded queue. A process that times out or dies is dropped and its running
 * call reported as a SystemError; calls queued behind it never ran and are placed again.
 */
export class FunctionPool {
  private readonly runners = new Set<Runner>();
  private readonly idleTimers = new Map<Runner, NodeJS.Timeout>();
  /** Processes started and not yet through their first call. */
  private readonly fresh = new WeakSet<Runner>();
  private starting = 0;
  private readonly waiting: ((runner: Runner | Error) => void)[] = [];
  private closed = false;

  constructor(
    private readonly settings: PoolSettings,
    private readonly source: RunnerSource,
    private readonly observer?: PoolObserver,
  ) {}

  get size(): number {
    return this.runners.size + this.starting;
  }

  /** Calls waiting for room on a process. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Calls held now: sent to a runner and not yet answered, or waiting for room. */
  get inFlight(): number {
    let held = this.waiting.length;
    for (const runner of this.runners) held += runner.inFlight;
    return held;
  }

  async invoke(run: RunRequest): Promise<RunResponse> {
    for (;;) {
      // A process at hand is taken in the same tick as the call is sent to it, so the calls of one
      // tick see each other's load.
      const placed = this.acquire();
      const runner = placed instanceof Promise ? await placed : placed;
      try {
        const started = performance.now();
        const response = await runner.run(run, this.settings.timeoutMs);
        if (this.fresh.delete(runner)) this.observer?.firstRun((performance.now() - started) / 1000);
        else this.observer?.warmHit();
        this.release(runner);
        return response;
      } catch (err) {
        this.drop(runner);
        // Queued behind a call that failed, it never ran: place it again.
        if (err instanceof RunnerFailure && err.reason === 'displaced') continue;
        if (err instanceof RunnerFailure) return systemError(err.message, err.reason === 'timeout');
        throw err;
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    for (const wake of this.waiting.splice(0))
      wake(new DomainError('UNAVAILABLE', 'the function was removed'));
    // Calls in flight finish; idle processes go now, the others as their calls end (release).
    const idle = [...this.runners].filter((r) => r.inFlight === 0);
    for (const runner of idle) this.runners.delete(runner);
    await Promise.all(idle.map((runner) => runner.kill()));
  }

  private acquire(): Runner | Promise<Runner> {
    if (this.closed) throw new DomainError('UNAVAILABLE', 'the function was removed');
    const ready = this.pack();
    if (ready) return ready;
    // A runner that died while idle (its process exited, its connection dropped) holds no place.
    if (this.size >= this.settings.concurrency) this.pruneDead();
    if (this.size < this.settings.concurrency) return this.grow();
    const pipelined = this.place(this.settings.pipeline);
    if (pipelined) return pipelined;
    if (this.waiting.length >= this.settings.queueLimit) {
      throw new DomainError(
        'RESOURCE_EXHAUSTED',
        `the function is busy: ${this.size} processes at work and ${this.waiting.length} calls waiting; try again shortly`,
      );
    }
    return new Promise<Runner | Error>((resolve) => this.waiting.push(resolve)).then((got) => {
      if (got instanceof Error) throw got;
      return got;
    });
  }

  /**
   * The busiest process where the call would start within PACK_MS, so that quick calls gather on as few
   * processes as keep up with them; else an idle one.
   */
  private pack(): Runner | undefined {
    let packed: Runner | undefined;
    for (const runner of this.runners) {
      if (!runner.alive || runner.inFlight >= PACK_LIMIT || runner.expectedWaitMs > PACK_MS) continue;
      if (!packed || runner.inFlight > packed.inFlight) packed = runner;
    }
    if (packed?.inFlight === 0) return this.place(1);
    return packed;
  }

  /** The least loaded live process holding fewer than `limit` calls, now holding this one too. */
  private place(limit: number): Runner | undefined {
    let best: Runner | undefined;
    for (const runner of this.runners) {
      if (!runner.alive || runner.inFlight >= limit) continue;
      if (!best || runner.inFlight < best.inFlight) best = runner;
    }
    if (best) {
      clearTimeout(this.idleTimers.get(best));
      this.idleTimers.delete(best);
    }
    return best;
  }

  private async grow(): Promise<Runner> {
    this.starting += 1;
    try {
      const runner = await this.source();
      this.runners.add(runner);
      this.fresh.add(runner);
      return runner;
    } finally {
      this.starting -= 1;
    }
  }

  private pruneDead(): void {
    for (const runner of this.runners) if (!runner.alive && runner.inFlight === 0) this.drop(runner);
  }

  private release(runner: Runner): void {
    if (this.closed || !runner.alive) {
      if (runner.inFlight === 0) this.drop(runner);
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) {
      waiter(runner);
      return;
    }
    if (runner.inFlight > 0) return;
    const timer = setTimeout(() => {
      if (runner.inFlight === 0) this.drop(runner);
    }, this.settings.idleMs);
    timer.unref();
    this.idleTimers.set(runner, timer);
  }

  private drop(runner: Runner): void {
    if (!this.runners.delete(runner)) return;
    clearTimeout(this.idleTimers.get(runner));
    this.idleTimers.delete(runner);
    void runner.kill();
    // Someone waiting should not wait for a process that will never come back: start a fresh one.
    const waiter = this.waiting.shift();
    if (waiter && !this.closed)
      this.grow().then(waiter, (err: unknown) => waiter(err instanceof Error ? err : new Error(String(err))));
  }
}

function systemError(message: string, timedOut: boolean): RunResponse {
  return {
    context: { logs: { stdout: [], stderr: [] }, error: { type: 'SystemError', message } },
    payload: null,
    ...(timedOut && { timedOut }),
  };
}
