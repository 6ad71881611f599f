import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';
/** Every sandbox's group sits under this one, so an operator sees (and can cap) them together. */
const PARENT = 'dispatch';

export interface GroupLimits {
  memoryBytes?: number;
  processes?: number;
  /** CPU time per wall-clock second, in CPUs (0.5 is half of one core). */
  cpus?: number;
}

/** The CFS period the CPU quota is a share of (the kernel's default). */
const CPU_PERIOD_US = 100_000;
/**
 * The weight of all sandboxes together against the host's other processes (the kernel's default is 100
 * on v2, 1024 shares on v1): when tenants keep every core busy, Dispatch itself still gets twice their
 * share and keeps answering.
 */
const SANDBOXES_WEIGHT = { v2: '50', v1: '512' };

/**
 * One cgroup of a sandboxed process tree, as root: its memory, process count and CPU time are held by
 * the kernel, and every process in it can be found and killed at once, whatever it forked or detached.
 * Works on cgroup v2 (one hierarchy) and v1 (a `memory`, a `pids` and, where mounted, a `cpu`
 * hierarchy).
 */
export class ProcessGroup {
  private constructor(private readonly dirs: string[]) {}

  /** A new group, or the reason none can be made here (not root, no cgroup filesystem). */
  static create(name: string, limits: GroupLimits): ProcessGroup | string {
    if (process.getuid?.() !== 0) return 'cgroups need root';
    const layout = cgroupLayout();
    if (!layout) return `no cgroup filesystem at ${ROOT}`;
    const dirs: string[] = [];
    try {
      if (layout === 'v2') {
        const parent = join(ROOT, PARENT);
        if (!existsSync(parent)) {
          mkdirSync(parent);
          // Children may only use the controllers their parent hands down.
          writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory +pids');
          enableCpu(parent);
        }
        const dir = join(parent, name);
        mkdirSync(dir);
        dirs.push(dir);
        if (limits.memoryBytes) {
          writeFileSync(join(dir, 'memory.max'), String(limits.memoryBytes));
          writeFileSync(join(dir, 'memory.swap.max'), '0');
        }
        if (limits.processes) writeFileSync(join(dir, 'pids.max'), String(limits.processes));
        if (limits.cpus && existsSync(join(dir, 'cpu.max')))
          writeFileSync(join(dir, 'cpu.max'), `${cpuQuota(limits.cpus)} ${CPU_PERIOD_US}`);
      } else {
        const [memory, pids, cpu] = V1_CONTROLLERS.map((c) => join(ROOT, c, PARENT, name));
        for (const dir of [memory, pids]) {
          mkdirSync(dir, { recursive: true });
          dirs.push(dir);
        }
        if (limits.memoryBytes)
          writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
        if (limits.processes) writeFileSync(join(pids, 'pids.max'), String(limits.processes));
        if (existsSync(join(ROOT, 'cpu'))) {
          const parent = join(ROOT, 'cpu', PARENT);
          if (!existsSync(parent)) {
            mkdirSync(parent);
            writeFileSync(join(parent, 'cpu.shares'), SANDBOXES_WEIGHT.v1);
          }
          mkdirSync(cpu);
          dirs.push(cpu);
          if (limits.cpus) {
            writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
            writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(cpuQuota(limits.cpus)));
          }
        }
      }
    } catch (err) {
      new ProcessGroup(dirs).remove();
      return `cannot make a cgroup: ${(err as Error).message}`;
    }
    return new ProcessGroup(dirs);
  }

  /**
   * Removes what an earlier Dispatch left: the groups named after processes that are gone (a crash
   * leaves its groups behind; their processes died with it, by `--die-with-parent`).
   */
  static sweep(): void {
    const layout = cgroupLayout();
    const parents = layout === 'v2' ? [join(ROOT, PARENT)] : V1_CONTROLLERS.map((c) => join(ROOT, c, PARENT));
    for (const parent of parents) {
      let names: string[] = [];
      try {
        names = readdirSync(parent, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name);
      } catch {
        continue;
      }
      for (const name of names) {
        const owner = Number(name.split('-')[0]);
        if (!Number.isInteger(owner) || alive(owner)) continue;
        const group = new ProcessGroup([join(parent, name)]);
        group.kill();
        group.remove();
      }
    }
  }

  /** Moves a process in; what it forks from then on stays in. */
  add(pid: number): void {
    for (const dir of this.dirs) writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  }

  /** Whether the kernel ended a process of the group for want of memory. */
  ranOutOfMemory(): boolean {
    // v2 counts kills in memory.events, v1 in memory.oom_control.
    for (const dir of this.dirs) {
      for (const file of ['memory.events', 'memory.oom_control']) {
        const path = join(dir, file);
        if (existsSync(path) && /^oom_kill [1-9]/m.test(readFileSync(path, 'utf8'))) return true;
      }
    }
    return false;
  }

  /** Kills every process still in the group. */
  kill(): void {
    for (const dir of this.dirs) {
      for (const pid of this.pids(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  }

  /** Removes the group once it is empty (its processes killed and reaped); retried by the caller. */
  remove(): boolean {
    let removed = true;
    for (const dir of this.dirs) {
      try {
        if (existsSync(dir)) rmdirSync(dir);
      } catch {
        removed = false;
      }
    }
    return removed;
  }

  private pids(dir: string): number[] {
    try {
      return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** On v1 each controller has a hierarchy of its own; `cpu` is optional (CPU goes unlimited without). */
const V1_CONTROLLERS = ['memory', 'pids', 'cpu'];

function cpuQuota(cpus: number): number {
  // The kernel refuses a quota under 1 ms.
  return Math.max(1000, Math.round(cpus * CPU_PERIOD_US));
}

/**
 * Hands the CPU controller to the sandboxes and weighs them, where the host delegates it to us (a
 * container may hand down only memory and pids: CPU then goes unlimited, as it would on v1 without
 * a `cpu` hierarchy).
 */
function enableCpu(parent: string): void {
  try {
    writeFileSync(join(parent, 'cgroup.subtree_control'), '+cpu');
    writeFileSync(join(parent, 'cpu.weight'), SANDBOXES_WEIGHT.v2);
  } catch {
    // not delegated here
  }
}

function cgroupLayout(): 'v1' | 'v2' | undefined {
  if (existsSync(join(ROOT, 'cgroup.controllers'))) return 'v2';
  if (existsSync(join(ROOT, 'memory')) && existsSync(join(ROOT, 'pids'))) return 'v1';
  return undefined;
}
