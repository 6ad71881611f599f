import { FUNCTION_DEFAULTS, type FunctionRuntime, type FunctionSpec } from '../function-runtime.js';
import type { InitRequest, Language, RunRequest, RunResponse } from '../protocol.js';
import { FunctionPool, type PoolSettings } from './function-pool.js';
import { canStartUnplaced, RunnerProcess } from './runner-process.js';
import { Sandbox } from './sandbox.js';

export interface ProcessRuntimeOptions {
  /** Languages that keep one generic runner started ahead of need, so a cold start skips process start-up. */
  prestart?: Language[];
  defaults?: Partial<PoolSettings> & { memoryMb?: number };
  onOutput?: (line: string) => void;
  /**
   * Keep functions out of each other's files (see Sandbox): on by default where this process can (as
   * root on Linux); `false` runs every function as this process's user.
   */
  sandbox?: boolean;
  /** Where runners' sockets go: the data directory's `runners/` (see RunnerOptions.socketsDir). */
  socketsDir?: string;
}

const DEFAULTS = { ...FUNCTION_DEFAULTS, concurrency: 8 };

/**
 * Runs functions as local processes: a pool per function version, and a spare generic runner per
 * language. Processes are never shared between function versions, so never between orgs; in a sandbox
 * each function also has its own user and sees only its own files.
 */
export class ProcessRuntime implements FunctionRuntime {
  private readonly pools = new Map<string, FunctionPool>();
  private readonly spares = new Map<string, Promise<RunnerProcess>>();
  private readonly defaults: typeof DEFAULTS;
  private readonly sandbox?: Sandbox;
  /** How functions are kept apart here, for the operator: said once at start-up. */
  readonly isolation: string;
  private closed = false;

  constructor(private readonly options: ProcessRuntimeOptions = {}) {
    this.defaults = { ...DEFAULTS, ...options.defaults };
    const sandbox = options.sandbox === false ? 'function sandboxing is turned off' : Sandbox.detect();
    if (sandbox instanceof Sandbox) {
      this.sandbox = sandbox;
      this.isolation = 'each function runs as its own user and sees only its own files';
    } else {
      this.isolation = `${sandbox}: functions run as this user and could read each other's files`;
    }
    for (const language of options.prestart ?? []) this.refillSpare(language, this.defaults.memoryMb);
  }

  invoke(spec: FunctionSpec, run: RunRequest): Promise<RunResponse> {
    return this.pool(spec).invoke(run);
  }

  /** Loads the function in a runner to prove its handler exists; the warm runner then serves calls. */
  async prepare(spec: FunctionSpec): Promise<void> {
    const runner = await this.loaded(spec);
    await runner.kill();
  }

  /** How many processes a function version has right now (0 once scaled to zero). */
  processes(key: string): number {
    return this.pools.get(key)?.size ?? 0;
  }

  /** Whether each function runs as its own user in a sandbox of its own. */
  get isolated(): boolean {
    return this.sandbox !== undefined;
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
      pool = new FunctionPool(
        {
          concurrency: spec.concurrency ?? this.defaults.concurrency,
          pipeline: spec.pipeline ?? this.defaults.pipeline,
          queueLimit: spec.queueLimit ?? this.defaults.queueLimit,
          idleMs: spec.idleMs ?? this.defaults.idleMs,
          timeoutMs: spec.timeoutMs ?? this.defaults.timeoutMs,
        },
        () => this.loaded(spec),
      );
      this.pools.set(spec.key, pool);
    }
    return pool;
  }

  /** A runner with the function loaded: a spare if one fits, else a fresh process. */
  private async loaded(spec: FunctionSpec): Promise<RunnerProcess> {
    const memoryMb = spec.memoryMb ?? this.defaults.memoryMb;
    const init: InitRequest = {
      codeDir: spec.codeDir,
      handler: spec.handler,
      dependenciesDir: spec.dependenciesDir,
    };
    const user = this.sandbox?.userOf(spec.identity ?? spec.key);
    // A runner that cannot switch users itself starts as the function's user, with its code mounted.
    const runner =
      this.sandbox && user && !canStartUnplaced(spec.language)
        ? await RunnerProcess.start({
            language: spec.language,
            memoryMb,
            onOutput: this.options.onOutput,
            sandbox: this.sandbox,
            socketsDir: this.options.socketsDir,
            placed: { ...init, user },
          })
        : await this.started(spec.language, memoryMb);
    try {
      await runner.load(init, user);
    } catch (err) {
      await runner.kill();
      throw err;
    }
    return runner;
  }

  /** A started runner with no function yet: the spare if it fits (and a new spare behind it). */
  private async started(language: Language, memoryMb: number): Promise<RunnerProcess> {
    const spare = memoryMb === this.defaults.memoryMb ? this.spares.get(language) : undefined;
    if (spare) {
      this.spares.delete(language);
      this.refillSpare(language, memoryMb);
      const runner = await spare.catch(() => undefined);
      if (runner?.alive) return runner;
    }
    return this.start(language, memoryMb);
  }

  private start(language: Language, memoryMb: number): Promise<RunnerProcess> {
    return RunnerProcess.start({
      language,
      memoryMb,
      onOutput: this.options.onOutput,
      sandbox: this.sandbox,
      socketsDir: this.options.socketsDir,
    });
  }

  private refillSpare(language: Language, memoryMb: number): void {
    if (this.closed || !(this.options.prestart ?? []).includes(language)) return;
    // A sandboxed java runner cannot wait unplaced: it needs its user from the start.
    if (this.sandbox && !canStartUnplaced(language)) return;
    const spare = this.start(language, memoryMb);
    spare.catch(() => this.spares.delete(language));
    this.spares.set(language, spare);
  }
}
