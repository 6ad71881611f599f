import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { baseSystemArgs, trustEnv } from './base-system.js';
import { devArgs, mountArgs } from './bwrap-args.js';
import { ProcessGroup } from './cgroups.js';
import { DEFAULT_PROCESSES, DEFAULT_TMP_MB, type Mount, type SandboxRun } from './sandbox-run.js';
import { SandboxedProcess } from './sandboxed-process.js';

const TOOLS = ['bwrap', 'slirp4netns', 'setpriv', 'prlimit', 'nsenter', 'ip'];
/** Without root, the platform's ranges are closed from inside the sandbox's user namespace by Perl. */
const USER_TOOLS = ['perl'];
const TUN_CLOSED =
  '/dev/net/tun is not open to this user (Debian ships it as mode 0666; this host has it closed), so slirp4netns cannot give a sandbox a way out';

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
    const missing = [...TOOLS, ...(privileged ? [] : USER_TOOLS)].filter((tool) => !onPath(tool));
    if (missing.length)
      return `sandboxing needs ${missing.join(', ')} (Debian: apt-get install bubblewrap slirp4netns util-linux iproute2 perl-base)`;
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
