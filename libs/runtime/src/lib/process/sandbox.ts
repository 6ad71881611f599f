import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Where a runner's world is mounted inside its sandbox. `/mnt` exists on every Linux system and the
 * sandbox shadows it with its own tmpfs, so nothing is created on the host's root filesystem.
 */
export const SANDBOX_PATHS = {
  runner: '/mnt/runner',
  toolchain: '/mnt/toolchain',
  socket: '/mnt/socket',
  code: '/mnt/function',
  dependencies: '/mnt/deps',
} as const;

/** The user a function's processes run as: one per function, shared by its versions and processes. */
export interface FunctionUser {
  uid: number;
  gid: number;
}

/** What a sandboxed runner needs to load a function: the paths as it sees them, and who to become. */
export interface Placement {
  codeDir: string;
  dependenciesDir?: string;
  user: FunctionUser;
}

/** High above the ranges distributions hand to people and to subordinate ids (/etc/subuid). */
const FIRST_UID = 1_900_000_000;
const TOOLS = ['unshare', 'nsenter', 'mount', 'setpriv'];

/**
 * Keeps functions out of each other's files. Each runner starts in a mount namespace of its own, with
 * its runner code and its language's interpreter bound read-only under /mnt; when a function is loaded, its code and its image's
 * dependencies are bound read-only beside it, /tmp becomes a private tmpfs, and the runner drops to the
 * function's own user before reading a line of the function. The real data directory stays readable by
 * Dispatch's user only, so a function sees its own code and nothing of another function, org or store.
 *
 * It needs root (to create namespaces and switch users), as every container runtime does. Started as
 * anyone else, Dispatch runs functions as that user and says so once at start-up (`detect`).
 */
export class Sandbox {
  private readonly users = new Map<string, FunctionUser>();
  private nextUid = FIRST_UID;

  /** A sandbox when this process can make one, else the reason it cannot. */
  static detect(): Sandbox | string {
    if (process.platform !== 'linux') return 'function sandboxing needs Linux';
    if (process.getuid?.() !== 0) return 'function sandboxing needs Dispatch to run as root';
    const missing = TOOLS.filter((tool) => !onPath(tool));
    if (missing.length) return `function sandboxing needs ${missing.join(', ')} (util-linux)`;
    return new Sandbox();
  }

  /** The function's user; allocated on first sight, the same for the life of this process. */
  userOf(identity: string): FunctionUser {
    let user = this.users.get(identity);
    if (!user) {
      user = { uid: this.nextUid, gid: this.nextUid };
      this.nextUid += 1;
      this.users.set(identity, user);
    }
    return user;
  }

  /**
   * The command that starts a runner in a new mount namespace, with `runnerDir` at /mnt/runner and its
   * socket directory at /mnt/socket. With `placed` the function is mounted and the user switched before
   * the runner starts (for a runtime that cannot switch users itself, the JVM); without, the runner
   * starts as root and is placed when a function is loaded.
   */
  launch(
    dirs: { runnerDir: string; socketDir: string; toolchainDir: string },
    command: { file: string; args: string[] },
    placed?: { codeDir: string; dependenciesDir?: string; user: FunctionUser },
  ): { file: string; args: string[] } {
    // Paths travel as positional parameters, never spliced into the script.
    const script = [
      'set -e',
      'mount -t tmpfs -o mode=0755,size=1m dispatch-sandbox /mnt',
      `mkdir ${Object.values(SANDBOX_PATHS).join(' ')}`,
      `mount --bind -o ro "$1" ${SANDBOX_PATHS.runner}`,
      `mount --bind "$2" ${SANDBOX_PATHS.socket}`,
      // The interpreter finds its libraries next to its executable, wherever the prefix is mounted.
      `mount --bind -o ro "$3" ${SANDBOX_PATHS.toolchain}`,
      'shift 3',
      ...(placed
        ? [...PLACE_SCRIPT, 'shift 4', 'exec setpriv --reuid "$U" --regid "$G" --clear-groups -- "$@"']
        : ['exec "$@"']),
    ].join('\n');
    return {
      file: 'unshare',
      args: [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        script,
        'sandbox',
        dirs.runnerDir,
        dirs.socketDir,
        dirs.toolchainDir,
        ...(placed ? placeArgs(placed.codeDir, placed.dependenciesDir, placed.user) : []),
        command.file,
        ...command.args,
      ],
    };
  }

  /** Mounts a function into a started runner's namespace; the runner then switches to `user` itself. */
  place(
    pid: number,
    codeDir: string,
    dependenciesDir: string | undefined,
    user: FunctionUser,
  ): Promise<Placement> {
    const script = ['set -e', ...PLACE_SCRIPT].join('\n');
    const args = ['--target', String(pid), '--mount', '--', 'sh', '-c', script, 'place'];
    return new Promise((resolve, reject) => {
      execFile('nsenter', [...args, ...placeArgs(codeDir, dependenciesDir, user)], (err, _out, stderr) => {
        if (err) reject(new Error(`could not sandbox the function: ${stderr.trim() || err.message}`));
        else resolve(placement(dependenciesDir, user));
      });
    });
  }
}

/** The paths a placed runner loads from. */
export function placement(dependenciesDir: string | undefined, user: FunctionUser): Placement {
  return {
    codeDir: SANDBOX_PATHS.code,
    dependenciesDir: dependenciesDir ? SANDBOX_PATHS.dependencies : undefined,
    user,
  };
}

/**
 * Shell lines binding $1 (code) and $2 (dependencies, may be empty) read-only and giving the function
 * user $3:$4 a private /tmp; they leave the user in U and G.
 */
const PLACE_SCRIPT = [
  `mount --bind -o ro "$1" ${SANDBOX_PATHS.code}`,
  `if [ -n "$2" ]; then mount --bind -o ro "$2" ${SANDBOX_PATHS.dependencies}; fi`,
  'mount -t tmpfs -o "mode=0700,size=64m,uid=$3,gid=$4" dispatch-tmp /tmp',
  'U="$3"',
  'G="$4"',
];

function placeArgs(codeDir: string, dependenciesDir: string | undefined, user: FunctionUser): string[] {
  return [codeDir, dependenciesDir ?? '', String(user.uid), String(user.gid)];
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
