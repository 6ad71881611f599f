import { tenantSandbox, type Sandbox, type Unconfined } from '@dispatch/sandbox';
import {
  FUNCTION_DEFAULTS,
  RetiredVersions,
  type FunctionRuntime,
  type FunctionSpec,
} from '../function-runtime.js';
import type { InitRequest, RunRequest, RunResponse } from '../protocol.js';
import { FunctionPool, type PoolSettings } from './function-pool.js';
import { RunnerProcess } from './runner-process.js';
import { SandboxUsers } from './sandbox-users.js';

export interface ProcessRuntimeOptions {
  defaults?: Partial<PoolSettings> & { memoryMb?: number };
  onOutput?: (line: string) => void;
  /** Where functions run: the process's tenant sandbox unless given (tests give their own). */
  sandbox?: Sandbox | Unconfined;
  /** Where runners' sockets go: the data directory's `runners/` (see RunnerOptions.socketsDir). */
  socketsDir?: string;
}

const DEFAULTS = { ...FUNCTION_DEFAULTS, concurrency: 8 };

/**
 * Runs functions as local processes: a pool per function version. Each runner starts in a sandbox of
 * its own (see @dispatch/sandbox) holding its function and nothing else, as the function's own user
 * (as root), so processes are never shared between function versions, orgs or users, and a runner
 * is started for its function, never reused for another.
 */
export class ProcessRuntime implements FunctionRuntime {
  private readonly pools = new Map<string, FunctionPool>();
  private readonly defaults: typeof DEFAULTS;
  private readonly sandbox: Sandbox | Unconfined;
  private readonly users = new SandboxUsers();
  private readonly retired = new RetiredVersions();

  constructor(private readonly options: ProcessRuntimeOptions = {}) {
    this.defaults = { ...DEFAULTS, ...options.defaults };
    this.sandbox = options.sandbox ?? tenantSandbox();
  }

  /** How functions are kept apart here, for the operator: said once at start-up. */
  get isolation(): string {
    return this.sandbox.description;
  }

  /** Whether functions run in a sandbox (and not, by the operator's opt-out, on the host). */
  get isolated(): boolean {
    return !('reason' in this.sandbox);
  }

  async invoke(spec: FunctionSpec, run: RunRequest): Promise<RunResponse> {
    this.retired.check(spec.key);
    try {
      return await this.pool(spec).invoke(run);
    } catch (err) {
      // Refused because the version went while the call waited for a process (one starting with code
      // now deleted, or a queue the retirement emptied): never run, so it may go to the current one.
      this.retired.check(spec.key);
      throw err;
    }
  }

  /** Loads the function in a runner to prove its handler exists, then stops it. */
  async prepare(spec: FunctionSpec): Promise<void> {
    const runner = await this.loaded(spec);
    await runner.kill();
  }

  /** How many processes a function version has right now (0 once scaled to zero). */
  processes(key: string): number {
    return this.pools.get(key)?.size ?? 0;
  }

  /** Stops a function version's processes once its runs in flight end. */
  async retire(key: string): Promise<void> {
    this.retired.add(key);
    const pool = this.pools.get(key);
    this.pools.delete(key);
    await pool?.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
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

  /** A runner in its function's sandbox, the function loaded. */
  private async loaded(spec: FunctionSpec): Promise<RunnerProcess> {
    const runner = await RunnerProcess.start({
      language: spec.language,
      memoryMb: spec.memoryMb ?? this.defaults.memoryMb,
      onOutput: this.options.onOutput,
      sandbox: this.sandbox,
      socketsDir: this.options.socketsDir,
      function: {
        codeDir: spec.codeDir,
        dependenciesDir: spec.dependenciesDir,
        uid: spec.uid ?? this.users.of(spec.identity ?? spec.key),
      },
    });
    const init: InitRequest = {
      codeDir: spec.codeDir,
      handler: spec.handler,
      dependenciesDir: spec.dependenciesDir,
    };
    try {
      await runner.load(init);
    } catch (err) {
      await runner.kill();
      throw err;
    }
    return runner;
  }
}
