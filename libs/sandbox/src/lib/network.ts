import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** The resolver slirp4netns answers on inside the namespace; it forwards to the host's own. */
export const SANDBOX_NAMESERVER = '10.0.2.3';
/** The host as slirp4netns's NAT names it (its gateway); never to be reached from inside. */
const SANDBOX_HOST_ALIAS = '10.0.2.2';
const READY_TIMEOUT_MS = 10_000;

/**
 * A sandbox's way out: slirp4netns gives the network namespace of `pid` an interface (`tap0`, NAT'd
 * through user-mode networking on the host), with the host's loopback kept out of reach, so a
 * sandboxed process reaches the outside world and nothing listening on 127.0.0.1: not Dispatch's API,
 * etcd, Kafka, another runner or a driver's endpoint. Needs no root. It ends with the namespace, and
 * with Dispatch (its exit pipe closes).
 */
export async function attachNetwork(pid: number, inUserNamespace: boolean): Promise<ChildProcess> {
  // Made while slirp4netns comes up (a route needs no interface; its default route still goes in). Only
  // as root: an ordinary user entering the sandbox's user namespace keeps no capability across exec (its
  // uid 0 is not mapped), so there slirp4netns's own refusal is the one guard.
  const aliasClosed = inUserNamespace ? Promise.resolve() : closeHostAlias(pid);
  aliasClosed.catch(() => undefined);
  // Without root, the network namespace is reached through the sandbox's user namespace, which owns it.
  const userns = inUserNamespace ? [`--userns-path=/proc/${pid}/ns/user`] : [];
  const slirp = spawn(
    'slirp4netns',
    [
      '--configure',
      '--mtu=65520',
      '--disable-host-loopback',
      '--ready-fd=3',
      '--exit-fd=4',
      ...userns,
      String(pid),
      'tap0',
    ],
    // Nothing of Dispatch's environment goes to a process the sandbox's network namespace holds.
    {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    },
  );
  let complaint = '';
  slirp.stderr?.setEncoding('utf8');
  slirp.stderr?.on('data', (chunk: string) => (complaint = (complaint + chunk).slice(-500)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail('it did not come up in time'), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      slirp.kill('SIGKILL');
      reject(
        new Error(
          `the sandbox's network (slirp4netns) failed: ${why}${complaint ? `: ${complaint.trim()}` : ''}`,
        ),
      );
    };
    (slirp.stdio[3] as Readable).once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    slirp.once('error', (err) => fail(err.message));
    slirp.once('exit', (code) => fail(`it exited with code ${code}`));
  });
  slirp.removeAllListeners('exit');
  try {
    await aliasClosed;
  } catch (err) {
    slirp.kill('SIGKILL');
    throw err;
  }
  return slirp;
}

/**
 * Makes the host's alias in the NAT (10.0.2.2) unreachable from inside, by a `prohibit` route in the
 * namespace. slirp4netns's --disable-host-loopback already refuses to forward it to 127.0.0.1, yet a
 * build in CI once completed a connection there; with the route, the kernel of the namespace answers
 * EACCES before any packet reaches slirp4netns.
 */
async function closeHostAlias(pid: number): Promise<void> {
  const route = spawn(
    'nsenter',
    [`--net=/proc/${pid}/ns/net`, 'ip', 'route', 'add', 'prohibit', `${SANDBOX_HOST_ALIAS}/32`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    },
  );
  let complaint = '';
  route.stderr?.setEncoding('utf8');
  route.stderr?.on('data', (chunk: string) => (complaint += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    route.once('error', reject);
    route.once('exit', resolve);
  });
  if (code !== 0)
    throw new Error(
      `the sandbox's network could not close the host's alias: ${complaint.trim() || `exit ${code}`}`,
    );
}
