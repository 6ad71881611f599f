import type { StdioOptions } from 'node:child_process';

/** A host path a sandboxed program sees, at a path of its own; read-only unless `writable`. */
export interface Mount {
  source: string;
  target: string;
  writable?: boolean;
}

export interface SandboxLimits {
  /** Memory of the whole process tree (a cgroup as root; the data segment's rlimit otherwise). */
  memoryMb?: number;
  /** Processes and threads. */
  processes?: number;
  /** CPU time per second, in CPUs (a cgroup as root; unlimited otherwise, see the README). */
  cpus?: number;
}

export interface SandboxRun {
  /** The program and its arguments, as the sandbox sees them. */
  command: string;
  args: string[];
  /** Host directories and files it needs; nothing else of the host but the base system. */
  mounts?: Mount[];
  /** Its whole environment (with a PATH, HOME=/tmp and the operator's CA trust unless given). */
  env?: Record<string, string>;
  cwd?: string;
  /** Outbound network through a NAT of its own; without, only a loopback of its own. */
  network?: boolean;
  /**
   * Lets the program boot while its network is made, for a program that reaches out only once told to
   * after `started` (a runner loads tenant code at its init call): 5 to 10 ms off a cold start. Others
   * wait, so that code connecting as it loads finds the way out there.
   */
  bootsBeforeNetwork?: boolean;
  /** As root, the host user it runs as (each tenant its own); as anyone else, Dispatch's own user. */
  uid?: number;
  /**
   * As root, the program starts as root holding only CAP_SETUID and CAP_SETGID (no new privileges, no
   * other capability) and becomes its tenant's user itself, before it runs any of the tenant's code: a
   * runner started before its function is known (see the runtime's spare runners). Ignored without
   * root, where every run is Dispatch's own user anyway. `uid` is then unused.
   */
  switchesUser?: boolean;
  /**
   * Empty directories of the run's own (tmpfs, sizes in MB), writable by the user it starts as: where a
   * runner started before its function writes the function's code (as root, before it becomes the
   * function's user, who can then read it and not change it).
   */
  scratch?: { target: string; sizeMb: number }[];
  limits?: SandboxLimits;
  /** Standard streams and any further descriptors (fd 3 on), as `child_process.spawn` takes them. */
  stdio?: StdioOptions;
  /** Sizes of the private /tmp and /dev/shm. */
  tmpMb?: number;
}

/** Private scratch space, unless a run says otherwise. */
export const DEFAULT_TMP_MB = 64;
export const DEFAULT_PROCESSES = 256;
/** One core at the most, unless a run says otherwise: a busy loop never takes the whole machine. */
export const DEFAULT_CPUS = 1;
