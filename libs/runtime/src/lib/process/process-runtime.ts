import { DomainError } from '@dispatch/contracts';
import { Sandbox, tenantSandbox, type Unconfined } from '@dispatch/sandbox';
import {
  FUNCTION_DEFAULTS,
  RetiredVersions,
  type FunctionRuntime,
  type FunctionSpec,
} from '../function-runtime.js';
import type { InitRequest, Language, RunRequest, RunResponse } from '../protocol.js';
import { codeFilesOf } from './code-files.js';
import { FunctionPool, type PoolSettings } from '../function-pool.js';
import type { PoolState, RuntimeObserver } from '../runtime-observer.js';
import { RunnerProcess } from './runner-process.js';
import { SandboxUsers } from './sandbox-users.js';
import { SpareRunners } from './spare-runners.js';

export interface ProcessRuntimeOptions {
  defaults?: Partial<PoolSettings> & { memoryMb?: number };
  onOutput?: (line: string) => void;
  /** Where functions run: the process's tenant sandbox unless given (tests give their own). */
  sandbox?: Sandbox | Unconfined;
  /** Where runners' sockets go: the data directory's `runners/` (see RunnerOptions.socketsDir). */
  socketsDir?: string;
  /**
   * Whether cold starts take a spare runner (see SpareRunners); on unless a test wants every start to
   * be one of its own. Never without a sandbox: a spare's code goes into a directory of its sandbox.
   */
  spares?: boolean;
  /** Told of each cold start's phases and each warm call (metrics). */
  observer?: RuntimeObserver;
}

/** The languages with spares: those whose interpreter can take its function's user itself (not the JVM). */
const SPARE_LANGUAGES: ReadonlySet<Language> = new Set(['nodejs', 'python3']);

const DEFAULTS = { ...FUNCTION_DEFAULTS, concurrency: 8 };

/**
 * Runs functions as local processes: a pool per function version. Each runner starts in a sandbox of
 * its own (see @dispatch/sandbox) holding its function and nothing else, as the function's own user
 * (as root), so processes are never shared between function versions, orgs or users, and a runner
 * is started for its function, never reused for another.
 */
export class ProcessRuntime implements FunctionRuntime {
  private readonly pools = new Map<string, FunctionPool>();
  /** The function each pool's version is of, by key. */
  private readonly identities = new Map<string, string>();
  private readonly defaults: typeof DEFAULTS;
  private readonly sandbox: Sandbox | Unconfined;
  private readonly users = new SandboxUsers();
  private readonly retired = new RetiredVersions();
  private readonly spares?: SpareRunners;

  constructor(private readonly options: ProcessRuntimeOptions = {}) {
    this.defaults = { ...DEFAULTS, ...options.defaults };
    this.sandbox = options.sandbox ?? tenantSandbox();
    if (options.spares !== false && this.sandbox instanceof Sandbox) {
      const sandbox = this.sandbox;
      this.spares = new SpareRunners(({ language, memoryMb, dependenciesDir }) =>
        RunnerProcess.start({
          language,
          memoryMb,
          onOutput: options.onOutput,
          sandbox,
          socketsDir: options.socketsDir,
          function: { spare: true, dependenciesDir },
        }),
      );
    }
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
    const runner = await this.loaded(spec, false);
    await runner.kill();
  }

  /** How many processes a function version has right now (0 once scaled to zero). */
  processes(key: string): number {
    return this.pools.get(key)?.size ?? 0;
  }

  /** How many spare runners are up, waiting for a cold start to take them (see SpareRunners). */
  get spareRunners(): number {
    return this.spares?.ready ?? 0;
  }

  /** Each function version's processes and waiting calls, for metrics. */
  poolStates(): PoolState[] {
    return [...this.pools.entries()].map(([key, pool]) => ({
      identity: this.identities.get(key) ?? key,
      runners: pool.size,
      queued: pool.queued,
    }));
  }

  /** Spare runners up for one language. */
  spareRunnersOf(language: Language): number {
    return this.spares?.readyOf(language) ?? 0;
  }

  /** Stops a function version's processes once its runs in flight end. */
  async retire(key: string): Promise<void> {
    this.retired.add(key);
    const pool = this.pools.get(key);
    this.pools.delete(key);
    this.identities.delete(key);
    await pool?.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
    await this.spares?.close();
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
        this.poolObserver(spec),
      );
      this.pools.set(spec.key, pool);
      this.identities.set(spec.key, spec.identity ?? spec.key);
    }
    return pool;
  }

  private poolObserver(spec: FunctionSpec) {
    const observer = this.options.observer;
    if (!observer) return undefined;
    const identity = spec.identity ?? spec.key;
    return {
      firstRun: (seconds: number) => observer.coldStartPhase(identity, spec.language, 'first-run', seconds),
      warmHit: () => observer.warmHit(identity, spec.language),
    };
  }

  /**
   * A runner in its function's sandbox, the function loaded: a spare if one fits, else a new one. The
   * phases are told unless `observed` is false (proving a handler at prepare is no call's cold start).
   */
  private async loaded(spec: FunctionSpec, observed = true): Promise<RunnerProcess> {
    const uid = spec.uid ?? this.users.of(spec.identity ?? spec.key);
    const memoryMb = spec.memoryMb ?? this.defaults.memoryMb;
    const observer = observed ? this.options.observer : undefined;
    const phase = (name: 'spawn' | 'load', since: number) =>
      observer?.coldStartPhase(
        spec.identity ?? spec.key,
        spec.language,
        name,
        (performance.now() - since) / 1000,
      );
    const adopting = performance.now();
    const spare = await this.adoptedSpare(spec, uid, memoryMb);
    // A spare was spawned before it was needed: its cold start is the load alone.
    if (spare) {
      phase('load', adopting);
      return spare;
    }
    const spawning = performance.now();
    const runner = await RunnerProcess.start({
      language: spec.language,
      memoryMb,
      onOutput: this.options.onOutput,
      sandbox: this.sandbox,
      socketsDir: this.options.socketsDir,
      function: { codeDir: spec.codeDir, dependenciesDir: spec.dependenciesDir, uid },
    });
    const init: InitRequest = {
      codeDir: spec.codeDir,
      handler: spec.handler,
      dependenciesDir: spec.dependenciesDir,
    };
    phase('spawn', spawning);
    const loading = performance.now();
    try {
      await runner.load(init);
    } catch (err) {
      await runner.kill();
      throw err;
    }
    phase('load', loading);
    return runner;
  }

  /**
   * A spare runner given this function, when one of its kind is ready (see SpareRunners) and the
   * function fits one: a language with spares and code small enough to send (see codeFilesOf).
   */
  private async adoptedSpare(
    spec: FunctionSpec,
    uid: number,
    memoryMb: number,
  ): Promise<RunnerProcess | undefined> {
    if (!this.spares || !SPARE_LANGUAGES.has(spec.language)) return undefined;
    const files = await codeFilesOf(spec.codeDir);
    if (!files) return undefined;
    const spare = this.spares.take({
      language: spec.language,
      memoryMb,
      dependenciesDir: spec.dependenciesDir,
    });
    if (!spare) return undefined;
    try {
      await spare.adopt({ files, uid }, { handler: spec.handler });
      return spare;
    } catch (err) {
      await spare.kill();
      // The handler's own failure is the function's answer; anything else, a start of its own may fix.
      if (err instanceof DomainError && err.code === 'INVALID_ARGUMENT') throw err;
      return undefined;
    }
  }
}
