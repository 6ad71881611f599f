import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { baseSystemArgs, trustEnv } from './base-system.js';
import { ProcessGroup } from './cgroups.js';
import { attachNetwork, SANDBOX_NAMESERVER } from './network.js';

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

const TOOLS = ['bwrap', 'slirp4netns', 'setpriv', 'prlimit', 'nsenter'];
/** As root the network's host alias is closed with a route (see network.ts). */
const ROOT_TOOLS = ['ip'];
const TUN_CLOSED =
  '/dev/net/tun is not open to this user (Debian ships it as mode 0666; this host has it closed), so slirp4netns cannot give a sandbox a way out';
/** Private scratch space, unless a run says otherwise. */
const DEFAULT_TMP_MB = 64;
const DEFAULT_PROCESSES = 256;
/** One core at the most, unless a run says otherwise: a busy loop never takes the whole machine. */
const DEFAULT_CPUS = 1;

/**
 * Confines what tenants send (functions, image builds, event-driver programs) as a container runtime
 * would, with bubblewrap: new PID, network, IPC, UTS and mount namespaces; a root filesystem of the
 * base system read-only, the run's own mounts and nothing else (no data directory, no keys, no other
 * tenant); a private /tmp and /dev/shm; no view of the host's processes or loopback; no way to gain
 * privileges; and the whole tree killed with Dispatch (`--die-with-parent`). As root, each run is
 * started as its own unprivileged user in a cgroup holding its memory and process count; as anyone
 * else, in a user namespace of Dispatch's user with rlimits. Outbound network, when asked for, goes
 * through slirp4netns.
 */
export class Sandbox {
  private readonly base = baseSystemArgs();
  private readonly trust = trustEnv();

  private constructor(
    /** Whether Dispatch runs as root: per-tenant users and cgroups, rather than a user namespace. */
    readonly privileged: boolean,
    /** Whether a run may have outbound network, else why not. */
    readonly egress: true | string,
  ) {}

  /** A sandbox when this machine can make one, else the reason it cannot. */
  static detect(): Sandbox | string {
    if (process.platform !== 'linux') return 'sandboxing needs Linux';
    const privileged = process.getuid?.() === 0;
    const missing = [...TOOLS, ...(privileged ? ROOT_TOOLS : [])].filter((tool) => !onPath(tool));
    if (missing.length)
      return `sandboxing needs ${missing.join(', ')} (Debian: apt-get install bubblewrap slirp4netns util-linux iproute2)`;
    const sandbox = new Sandbox(privileged, privileged || tunOpen() ? true : TUN_CLOSED);
    const probe = spawnSync('bwrap', [...sandbox.namespaceArgs(), '--ro-bind', '/', '/', 'true'], {
      timeout: 10_000,
      encoding: 'utf8',
    });
    if (probe.status !== 0)
      return `the kernel refuses the sandbox's namespaces: ${(probe.stderr || probe.error?.message || '').trim()}`;
    if (privileged) ProcessGroup.sweep();
    return sandbox;
  }

  /** What a sandbox is here, for the operator: said once at start-up. */
  get description(): string {
    const how = this.privileged
      ? 'each tenant program runs in its own namespaces as its own user, in a cgroup holding its memory and processes'
      : "each tenant program runs in its own namespaces (a user namespace of Dispatch's user), its memory and processes held by rlimits";
    return this.egress === true ? how : `${how}; no outbound network: ${this.egress}`;
  }

  /** Where a mounted path is, as the program sees it. */
  pathOf(mount: Mount): string {
    return mount.target;
  }

  /** Starts a program in a sandbox of its own. */
  spawn(run: SandboxRun): SandboxedProcess {
    return new SandboxedProcess(this, run);
  }

  /** @internal The namespaces every sandbox gets. */
  namespaceArgs(): string[] {
    return [
      '--unshare-pid',
      '--unshare-net',
      '--unshare-ipc',
      '--unshare-uts',
      '--unshare-cgroup-try',
      // Dispatch's own ids inside too: another uid would make bwrap nest a second user namespace, which
      // the network's helper could not enter to reach the network namespace the first one owns.
      ...(this.privileged ? [] : ['--unshare-user']),
      '--die-with-parent',
      '--new-session',
    ];
  }

  /**
   * @internal The program's whole environment. bwrap is started with it (rather than Dispatch's own,
   * or `--setenv` arguments): the sandbox's first process shows its environment to the program in
   * /proc/1/environ, and a command line is there for every user of the host to read.
   */
  envOf(run: SandboxRun): Record<string, string> {
    return {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: '/tmp',
      USER: 'sandbox',
      LOGNAME: 'sandbox',
      LANG: 'C.UTF-8',
      ...this.trust,
      ...run.env,
    };
  }

  /** @internal bwrap's arguments for a run, up to the program. */
  bwrapArgs(run: SandboxRun, fds: { info: number; block: number }): string[] {
    const tmp = String((run.tmpMb ?? DEFAULT_TMP_MB) * 1024 * 1024);
    return [
      ...this.namespaceArgs(),
      // Only what setpriv needs to become the run's user and drop every capability for good.
      ...(this.privileged
        ? ['--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP']
        : []),
      '--perms',
      '0755',
      '--tmpfs',
      '/',
      ...this.base,
      ...(run.network ? ['--perms', '0644', '--ro-bind-data', String(fds.info + 2), '/etc/resolv.conf'] : []),
      '--proc',
      '/proc',
      ...devArgs(tmp),
      '--perms',
      '1777',
      '--size',
      tmp,
      '--tmpfs',
      '/tmp',
      ...mountArgs(run.mounts ?? [], run.scratch ?? []),
      ...(run.cwd ? ['--chdir', run.cwd] : []),
      '--info-fd',
      String(fds.info),
      '--block-fd',
      String(fds.block),
      '--',
      ...this.userArgs(run),
      run.command,
      ...run.args,
    ];
  }

  /**
   * Inside the namespaces, before the program: as root, become the run's own user, for good (no
   * capabilities, no new privileges); as anyone else, the data-segment and process rlimits that stand in
   * for a cgroup.
   */
  private userArgs(run: SandboxRun): string[] {
    if (this.privileged && run.switchesUser) {
      // Still root, but only able to change its ids: setuid to its tenant's user then clears what is
      // left (a process whose uids are all non-zero keeps no capability), and no exec can gain any back.
      return [
        '/usr/bin/setpriv',
        '--clear-groups',
        '--inh-caps=-all',
        '--bounding-set=-all,+setuid,+setgid',
        '--no-new-privs',
        '--',
      ];
    }
    if (this.privileged) {
      const uid = String(run.uid ?? 65534);
      return [
        '/usr/bin/setpriv',
        '--reuid',
        uid,
        '--regid',
        uid,
        '--clear-groups',
        '--inh-caps=-all',
        '--bounding-set=-all',
        '--no-new-privs',
        '--',
      ];
    }
    const limits = [`--nproc=${run.limits?.processes ?? DEFAULT_PROCESSES}`];
    if (run.limits?.memoryMb) limits.push(`--data=${run.limits.memoryMb * 1024 * 1024}`);
    return ['/usr/bin/prlimit', ...limits, '--'];
  }
}

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

  private async removeGroup(): Promise<void> {
    for (let attempt = 0; attempt < 50 && this.group && !this.group.remove(); attempt += 1) {
      this.group.kill();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * The run's mounts and scratch directories, each under directories made open to read (bwrap would make
 * them 0700, which a program running as its own user could not enter).
 */
function mountArgs(mounts: Mount[], scratch: { target: string; sizeMb: number }[]): string[] {
  const args: string[] = [];
  const made = new Set<string>(['/']);
  const parentsOf = (target: string) => {
    const parts = target.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i += 1) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      if (made.has(dir)) continue;
      made.add(dir);
      args.push('--perms', '0755', '--dir', dir);
    }
    made.add(target);
  };
  for (const mount of mounts) {
    parentsOf(mount.target);
    args.push(mount.writable ? '--bind' : '--ro-bind', mount.source, mount.target);
  }
  for (const { target, sizeMb } of scratch) {
    parentsOf(target);
    args.push('--perms', '0755', '--size', String(sizeMb * 1024 * 1024), '--tmpfs', target);
  }
  return args;
}

/**
 * A /dev of the few devices a program needs, and a private /dev/shm. Not bwrap's `--dev`: without root
 * it maps uid 0 for devpts and then nests a second user namespace, which the network's helper could
 * not enter to reach the network namespace the first one owns.
 */
function devArgs(shmBytes: string): string[] {
  const args = ['--perms', '0755', '--size', String(64 * 1024), '--tmpfs', '/dev'];
  for (const device of ['null', 'zero', 'full', 'random', 'urandom'])
    args.push('--dev-bind', `/dev/${device}`, `/dev/${device}`);
  args.push('--symlink', '/proc/self/fd', '/dev/fd');
  ['stdin', 'stdout', 'stderr'].forEach((name, fd) =>
    args.push('--symlink', `/proc/self/fd/${fd}`, `/dev/${name}`),
  );
  args.push('--perms', '1777', '--size', shmBytes, '--tmpfs', '/dev/shm');
  return args;
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

function tunOpen(): boolean {
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(tool: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
