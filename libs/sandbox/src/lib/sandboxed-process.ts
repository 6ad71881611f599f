import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { ProcessGroup } from './cgroups.js';
import { attachNetwork, SANDBOX_NAMESERVER } from './network.js';
import type { Sandbox } from './sandbox.js';
import { DEFAULT_CPUS, DEFAULT_PROCESSES, type SandboxRun } from './sandbox-run.js';

/** How often to try making a sandbox that bwrap failed to make (see sandboxSetupFailed). */
export const SANDBOX_SETUP_ATTEMPTS = 3;

/**
 * Whether a program's first output is bwrap's own complaint: the sandbox failed while being made and the
 * program never ran, so starting it again is safe. Debian's bwrap 0.8 does so now and then on a busy
 * host ("loopback: Failed RTM_NEWADDR", a netlink reply it takes for another's).
 */
export function sandboxSetupFailed(firstLine: string | undefined): boolean {
  return firstLine?.startsWith('bwrap:') ?? false;
}

/**
 * A program in its sandbox. `started` settles once its namespaces, cgroup and network are in place and
 * it runs; `exited` when it is gone. Killing it kills the whole tree (the sandbox's PID namespace ends
 * with its first process, and as root the cgroup is emptied too).
 */
export class SandboxedProcess {
  readonly child: ChildProcess;
  readonly started: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private group?: ProcessGroup;
  private network?: ChildProcess;
  private outOfMemory = false;

  private readonly privileged: boolean;
  private readonly egress: boolean;

  constructor(sandbox: Sandbox, run: SandboxRun) {
    this.privileged = sandbox.privileged;
    this.egress = sandbox.egress === true;
    const stdio = [...((run.stdio as unknown[] | undefined) ?? ['ignore', 'pipe', 'pipe'])];
    while (stdio.length < 3) stdio.push('ignore');
    // bwrap's own descriptors come after the program's: what it was started (info), when to go on
    // (block), and the resolver configuration of a networked sandbox.
    const info = stdio.length;
    const fds = { info, block: info + 1 };
    stdio.push('pipe', 'pipe', ...(run.network ? ['pipe'] : []));
    // As root a cgroup holds the limits; otherwise rlimits do (see Sandbox.userArgs).
    if (sandbox.privileged) {
      const memory = run.limits?.memoryMb;
      const group = ProcessGroup.create(`${process.pid}-${randomBytes(6).toString('hex')}`, {
        memoryBytes: memory ? memory * 1024 * 1024 : undefined,
        processes: run.limits?.processes ?? DEFAULT_PROCESSES,
        cpus: run.limits?.cpus ?? DEFAULT_CPUS,
      });
      if (typeof group === 'string') throw new Error(`cannot confine the sandbox: ${group}`);
      this.group = group;
    }
    this.child = spawn('bwrap', sandbox.bwrapArgs(run, fds), {
      stdio: stdio as StdioOptions,
      env: sandbox.envOf(run),
    });
    // bwrap closes its descriptors as it goes; that is no error of ours.
    for (let fd = info; fd < stdio.length; fd += 1) this.child.stdio[fd]?.on('error', () => undefined);
    if (run.network) (this.child.stdio[info + 2] as Writable).end(`nameserver ${SANDBOX_NAMESERVER}\n`);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.network?.kill('SIGKILL');
        // Read before the group goes: whether memory, not the program, ended it.
        this.outOfMemory = this.group?.ranOutOfMemory() ?? false;
        this.group?.kill();
        void this.removeGroup();
        resolve({ code, signal });
      });
    });
    this.started = this.prepare(info, fds.block, run.network === true, run.bootsBeforeNetwork === true);
    // A program that never starts is reported by `started`; its exit is expected, not unhandled.
    this.started.catch(() => this.kill());
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the kernel ended a process of it for want of memory (as root, with a cgroup). */
  ranOutOfMemory(): boolean {
    return this.outOfMemory || (this.group?.ranOutOfMemory() ?? false);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.group?.kill();
  }

  /** Reads where bwrap put the program, confines it, gives it its network, then lets it run. */
  private async prepare(
    infoFd: number,
    blockFd: number,
    network: boolean,
    bootsBeforeNetwork: boolean,
  ): Promise<void> {
    const childPid = await new Promise<number>((resolve, reject) => {
      let text = '';
      const stream = this.child.stdio[infoFd] as Readable;
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        text += chunk;
        const pid = /"child-pid":\s*(\d+)/.exec(text)?.[1];
        if (pid) resolve(Number(pid));
      });
      this.child.once('exit', (code) =>
        reject(new Error(`the sandbox did not start (bwrap exited with code ${code})`)),
      );
      this.child.once('error', (err) => reject(new Error(`the sandbox did not start: ${err.message}`)));
    });
    if (this.group) {
      this.group.add(this.child.pid as number);
      this.group.add(childPid);
    }
    const block = this.child.stdio[blockFd] as Writable;
    const go = () => {
      if (!block.writableEnded) block.end('go');
    };
    if (network && this.egress === true) {
      // Without root, bwrap writes the user namespace's id map just after it reports the child; only
      // then can the network's helper enter it (and the program may not start before: bwrap waits).
      if (!this.privileged) await mapped(childPid);
      if (bootsBeforeNetwork) go();
      try {
        this.network = await attachNetwork(childPid, !this.privileged);
      } catch (err) {
        // A program that ended while its network was made says why itself (its exit, its output).
        if (bootsBeforeNetwork && (this.child.exitCode !== null || this.child.signalCode !== null)) return;
        throw err;
      }
      // Killed while its network was being made: the exit handler found none to end, and slirp4netns,
      // holding the namespace's interface, would outlive it.
      if (this.child.exitCode !== null || this.child.signalCode !== null) this.network.kill('SIGKILL');
    }
    go();
  }

  /**
   * Removes the emptied cgroup, trying again while its processes die. The waits keep no process alive:
   * a group left behind by one that exits is swept at the next start (ProcessGroup.sweep).
   */
  private async removeGroup(): Promise<void> {
    for (let attempt = 0; attempt < 50 && this.group && !this.group.remove(); attempt += 1) {
      this.group.kill();
      await new Promise((r) => setTimeout(r, 100).unref());
    }
  }
}

/** Resolves once the user namespace of `pid` has its id map (within a second, or it goes on anyway). */
async function mapped(pid: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    try {
      const ready = ['uid_map', 'gid_map'].every(
        (map) => readFileSync(`/proc/${pid}/${map}`, 'utf8').trim() !== '',
      );
      if (ready) return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
