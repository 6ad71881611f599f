import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { DomainError } from '@dispatch/contracts';
import type { Mount, SandboxRun } from './sandbox-run.js';

/**
 * What runs tenants' code when no sandbox can be made: by default it refuses (UNAVAILABLE, with the
 * reason), so nothing a tenant sends runs unconfined by accident. With the operator's explicit opt-out
 * it runs the program on the host as Dispatch's own user, the run's paths translated back to the
 * host's: no namespaces, no cgroup, no network isolation.
 */
export class Unconfined {
  readonly privileged = false;

  constructor(
    /** Why no sandbox could be made. */
    readonly reason: string,
    /** Whether the operator allowed running unconfined. */
    readonly allowed = true,
  ) {}

  get egress(): true {
    return true;
  }

  get description(): string {
    return `tenants' code runs unconfined: ${this.reason}`;
  }

  pathOf(mount: Mount): string {
    return mount.source;
  }

  spawn(run: SandboxRun): UnconfinedProcess {
    if (!this.allowed)
      throw new DomainError(
        'UNAVAILABLE',
        `tenants' code cannot be sandboxed on this host (${this.reason}), and Dispatch does not run it unconfined`,
      );
    return new UnconfinedProcess(run);
  }
}

/** A program started straight on the host, with the shape of a SandboxedProcess. */
export class UnconfinedProcess {
  readonly child: ChildProcess;
  readonly started: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(run: SandboxRun) {
    const host = (value: string) => hostPath(value, run.mounts ?? []);
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/tmp',
    };
    for (const [name, value] of Object.entries(run.env ?? {})) env[name] = host(value);
    this.child = spawn(host(run.command), run.args.map(host), {
      cwd: run.cwd ? host(run.cwd) : undefined,
      env,
      stdio: (run.stdio ?? ['ignore', 'pipe', 'pipe']) as StdioOptions,
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.started = new Promise((resolve, reject) => {
      this.child.once('spawn', () => resolve());
      this.child.once('error', (err) => reject(err));
    });
    this.started.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  ranOutOfMemory(): boolean {
    return false;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A path as the run gives it (under a mount's target) where it really is (under its source). */
function hostPath(value: string, mounts: Mount[]): string {
  for (const mount of mounts) {
    if (value === mount.target) return mount.source;
    if (value.startsWith(`${mount.target}/`)) return mount.source + value.slice(mount.target.length);
  }
  return value;
}
