import type { Language, RunRequest, RunResponse } from './protocol.js';

/** What a function gets when neither it nor the operator says otherwise, in every runtime. */
export const FUNCTION_DEFAULTS = {
  timeoutMs: 30_000,
  // Four calls a runner: enough that a busy one is never idle between calls, few enough that a slow
  // call delays little behind it (and a call that never started is placed again if its runner dies).
  pipeline: 4,
  queueLimit: 200,
  idleMs: 5 * 60_000,
  memoryMb: 256,
};

/** One deployable version of a function: a change of code or settings gets a new `key`. */
export interface FunctionSpec {
  /** Unique per function version, e.g. `org/project/name@revision`. */
  key: string;
  /**
   * The function across its versions, e.g. `org/project/name`: each runs as its own user in a sandbox.
   * Defaults to `key`.
   */
  identity?: string;
  language: Language;
  codeDir: string;
  handler: string;
  /** The image build directory with the function's dependencies, if its image has any. */
  dependenciesDir?: string;
  /**
   * The host user its processes run as (when Dispatch runs as root), kept with the function so it is
   * the same after a restart: no other function ever runs as it. One is handed out when absent.
   */
  uid?: number;
  timeoutMs?: number;
  concurrency?: number;
  pipeline?: number;
  queueLimit?: number;
  idleMs?: number;
  memoryMb?: number;
}

/**
 * Where functions run: local processes (ProcessRuntime) or workloads on Kubernetes (KubernetesRuntime).
 * The functions service uses only this.
 */
export interface FunctionRuntime {
  /** How functions are kept apart, for the operator: said once at start-up. */
  readonly isolation: string;
  /** Whether that isolation is one this platform stands behind (else start-up warns). */
  readonly isolated: boolean;
  /**
   * Makes a function version ready to serve: its handler loaded somewhere, proving it exists. Fails with
   * the reason (a DomainError) when it cannot be.
   */
  prepare(spec: FunctionSpec): Promise<void>;
  invoke(spec: FunctionSpec, run: RunRequest): Promise<RunResponse>;
  /** Ends a function version once its runs in flight end, and frees what it held. */
  retire(key: string): Promise<void>;
  close(): Promise<void>;
}

/** A call for a function version retired meanwhile (updated or deleted): run the function's current one. */
export class VersionRetired extends Error {
  constructor(readonly key: string) {
    super(`function version ${key} was retired`);
    this.name = 'VersionRetired';
  }
}

/**
 * The versions lately retired. A call that read its function just before an update must not bring the
 * old version back: its code is deleted, and its runner would be one nobody retires.
 */
export class RetiredVersions {
  private readonly keys = new Set<string>();

  constructor(private readonly remembered = 10_000) {}

  add(key: string): void {
    this.keys.add(key);
    // Oldest first: a Set iterates in insertion order.
    if (this.keys.size > this.remembered) this.keys.delete(this.keys.values().next().value as string);
  }

  /** Throws VersionRetired for a retired version. */
  check(key: string): void {
    if (this.keys.has(key)) throw new VersionRetired(key);
  }
}
