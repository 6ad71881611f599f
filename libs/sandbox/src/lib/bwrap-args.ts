import type { Mount } from './sandbox-run.js';

/**
 * The run's mounts and scratch directories, each under directories made open to read (bwrap would make
 * them 0700, which a program running as its own user could not enter).
 */
export function mountArgs(mounts: Mount[], scratch: { target: string; sizeMb: number }[]): string[] {
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
export function devArgs(shmBytes: string): string[] {
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
