import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';
/** Every sandbox's group sits under this one, so an operator sees (and can cap) them together. */
const PARENT = 'dispatch';

export interface GroupLimits {
  memoryBytes?: number;
  processes?: number;
}

/**
 * One cgroup of a sandboxed process tree, as root: its memory and process count are held by the
 * kernel, and every process in it can be found and killed at once, whatever it forked or detached.
 * Works on cgroup v2 (one hierarchy) and v1 (a `memory` and a `pids` hierarchy).
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
        }
        const dir = join(parent, name);
        mkdirSync(dir);
        dirs.push(dir);
        if (limits.memoryBytes) {
          writeFileSync(join(dir, 'memory.max'), String(limits.memoryBytes));
          writeFileSync(join(dir, 'memory.swap.max'), '0');
        }
        if (limits.processes) writeFileSync(join(dir, 'pids.max'), String(limits.processes));
      } else {
        const memory = join(ROOT, 'memory', PARENT, name);
        const pids = join(ROOT, 'pids', PARENT, name);
        mkdirSync(memory, { recursive: true });
        mkdirSync(pids, { recursive: true });
        dirs.push(memory, pids);
        if (limits.memoryBytes)
          writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
        if (limits.processes) writeFileSync(join(pids, 'pids.max'), String(limits.processes));
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
    const parents =
      layout === 'v2' ? [join(ROOT, PARENT)] : [join(ROOT, 'memory', PARENT), join(ROOT, 'pids', PARENT)];
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

function cgroupLayout(): 'v1' | 'v2' | undefined {
  if (existsSync(join(ROOT, 'cgroup.controllers'))) return 'v2';
  if (existsSync(join(ROOT, 'memory')) && existsSync(join(ROOT, 'pids'))) return 'v1';
  return undefined;
}
