import type { Language, RunRequest, RunResponse } from '../protocol.js';
import { FunctionPool, type PoolSettings } from './function-pool.js';
import { RunnerProcess } from './runner-process.js';

/** One deployable version of a function: a change of code or settings gets a new `key`. */
export interface FunctionSpec {
  /** Unique per function version, e.g. `org/project/name@revision`. */
  key: string;
  language: Language;
  codeDir: string;
  handler: string;
  /** The image build directory with the function's dependencies, if its image has any. */
  dependenciesDir?: string;
  timeoutMs?: number;
  concurrency?: number;
  queueLimit?: number;
  idleMs?: number;
  memoryMb?: number;
}

export interface ProcessRuntimeOptions {
  /** Languages that keep one generic runner started ahead of need, so a cold start skips process start-up. */
  prestart?: Language[];
  defaults?: Partial<Omit<PoolSettings, 'language' | 'init'>> & { memoryMb?: number };
  onOutput?: (line: string) => void;
}

const DEFAULTS = { timeoutMs: 30_000, concurrency: 8, queueLimit: 200, idleMs: 5 * 60_000, memoryMb: 256 };

/**
 * Runs functions as local processes: a pool per function version, and a spare generic runner per
 * language. Processes are never shared between function versions, so never between orgs.
 */
export class ProcessRuntime {
  private readonly pools = new Map<string, FunctionPool>();
  private readonly spares = new Map<string, Promise<RunnerProcess>>();
  private readonly defaults: typeof DEFAULTS;
  private closed = false;

  constructor(private readonly options: ProcessRuntimeOptions = {}) {
    this.defaults = { ...DEFAULTS, ...options.defaults };
    for (const language of options.prestart ?? []) this.refillSpare(language, this.defaults.memoryMb);
  }

  invoke(spec: FunctionSpec, run: RunRequest): Promise<RunResponse> {
    return this.pool(spec).invoke(run);
  }

  /** Loads the function in a runner to prove its handler exists; the warm runner then serves calls. */
  async prepare(spec: FunctionSpec): Promise<void> {
    const runner = await this.runner(spec.language, spec.memoryMb ?? this.defaults.memoryMb);
    try {
      await runner.init({
        codeDir: spec.codeDir,
        handler: spec.handler,
        dependenciesDir: spec.dependenciesDir,
      });
    } finally {
      await runner.kill();
    }
  }

  /** How many processes a function version has right now (0 once scaled to zero). */
  processes(key: string): number {
    return this.pools.get(key)?.size ?? 0;
  }

  /** Stops a function version's processes once its runs in flight end. */
  async retire(key: string): Promise<void> {
    const pool = this.pools.get(key);
    this.pools.delete(key);
    await pool?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
    const spares = [...this.spares.values()];
    this.spares.clear();
    await Promise.all(
      spares.map((s) =>
        s.then(
          (r) => r.kill(),
          () => undefined,
        ),
      ),
    );
  }

  private pool(spec: FunctionSpec): FunctionPool {
    let pool = this.pools.get(spec.key);
    if (!pool) {
      const memoryMb = spec.memoryMb ?? this.defaults.memoryMb;
      pool = new FunctionPool(
        {
          language: spec.language,
          init: { codeDir: spec.codeDir, handler: spec.handler, dependenciesDir: spec.dependenciesDir },
          concurrency: spec.concurrency ?? this.defaults.concurrency,
          queueLimit: spec.queueLimit ?? this.defaults.queueLimit,
          idleMs: spec.idleMs ?? this.defaults.idleMs,
          timeoutMs: spec.timeoutMs ?? this.defaults.timeoutMs,
        },
        (language) => this.runner(language, memoryMb),
      );
      this.pools.set(spec.key, pool);
    }
    return pool;
  }

  /** A started runner: the spare if it fits (and a new spare behind it), else a fresh one. */
  private async runner(language: Language, memoryMb: number): Promise<RunnerProcess> {
    const spare = memoryMb === this.defaults.memoryMb ? this.spares.get(language) : undefined;
    if (spare) {
      this.spares.delete(language);
      this.refillSpare(language, memoryMb);
      const runner = await spare.catch(() => undefined);
      if (runner?.alive) return runner;
    }
    return RunnerProcess.start({ language, memoryMb, onOutput: this.options.onOutput });
  }

  private refillSpare(language: Language, memoryMb: number): void {
    if (this.closed || !(this.options.prestart ?? []).includes(language)) return;
    const spare = RunnerProcess.start({ language, memoryMb, onOutput: this.options.onOutput });
    spare.catch(() => this.spares.delete(language));
    this.spares.set(language, spare);
  }
}
