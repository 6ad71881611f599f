import { spawn, type ChildProcess } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import type { Readable } from 'node:stream';

/** The resolver slirp4netns answers on inside the namespace; it forwards to the host's own. */
export const SANDBOX_NAMESERVER = '10.0.2.3';
/** The host as slirp4netns's NAT names it (its gateway); never to be reached from inside. */
const SANDBOX_HOST_ALIAS = '10.0.2.2';
const READY_TIMEOUT_MS = 10_000;

/**
 * Where a sandbox's NAT would take it but a tenant has no business going: the private and shared
 * ranges, where the platform lives once it runs in containers or pods (its services, etcd, Kafka, the
 * cluster's DNS and API server, other tenants' pods), the link-local range (a cloud's metadata service),
 * and every address of this host itself. The NAT's own network (10.0.2.0/24) keeps its more specific
 * route, so its resolver (10.0.2.3) still answers; its alias of the host does not (see below).
 */
const CLOSED_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'];

/** The ranges closed to a sandbox, with this host's own IPv4 addresses (loopback is closed already). */
export function closedRanges(): string[] {
  const own = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a?.family === 'IPv4' && !a.address.startsWith('127.'))
    .map((a) => `${a?.address}/32`);
  return [...new Set([...CLOSED_RANGES, `${SANDBOX_HOST_ALIAS}/32`, ...own])];
}

/**
 * A sandbox's way out: slirp4netns gives the network namespace of `pid` an interface (`tap0`, NAT'd
 * through user-mode networking on the host), with the host's loopback kept out of reach, and
 * `prohibit` routes in the namespace close the ranges above, so a sandboxed process reaches the outside
 * world and nothing of the platform: not Dispatch's API, etcd, Kafka, another runner or a driver's
 * endpoint, on this host or on the network of its containers. Needs no root. It ends with the
 * namespace, and with Dispatch (its exit pipe closes).
 */
export async function attachNetwork(pid: number, inUserNamespace: boolean): Promise<ChildProcess> {
  // Made while slirp4netns comes up (a route needs no interface; its default route still goes in).
  const aliasClosed = closeRanges(pid, inUserNamespace);
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
 * x86-64's and arm64's numbers of the system calls the helper below makes: setns, capget, capset, prctl.
 */
const SYSCALLS: Partial<Record<NodeJS.Architecture, number[]>> = {
  x64: [308, 125, 126, 157],
  arm64: [268, 90, 91, 167],
};

/**
 * Without root, the routes are added from inside the sandbox's user namespace, which Dispatch's user
 * owns: entering it gives every capability there, but `ip` run as a non-zero uid would lose them at
 * exec. So a few lines of Perl (perl-base is in every Debian) enter the user and network namespaces,
 * keep CAP_NET_ADMIN as an ambient capability (the one way a capability survives exec for an ordinary
 * user, and allowed under no_new_privs), and exec `ip` on the routes. The program, started after, has
 * no capability in that namespace and cannot take the routes away.
 */
const ENTER_AND_ROUTE = String.raw`
use strict;
my ($pid, $setns, $capget, $capset, $prctl) = map { 0 + $_ } @ARGV;
for my $ns (['user', 0x10000000], ['net', 0x40000000]) {
  open(my $fh, '<', "/proc/$pid/ns/$ns->[0]") or die "opening its $ns->[0] namespace: $!\n";
  syscall($setns, fileno($fh), $ns->[1]) == 0 or die "entering its $ns->[0] namespace: $!\n";
}
my $header = pack('LL', 0x20080522, 0);
my $caps = "\0" x 24;
syscall($capget, $header, $caps) == 0 or die "capget: $!\n";
my @sets = unpack('L6', $caps);
$sets[2] |= 1 << 12;
syscall($capset, $header, pack('L6', @sets)) == 0 or die "capset: $!\n";
syscall($prctl, 47, 2, 12, 0, 0) == 0 or die "keeping CAP_NET_ADMIN: $!\n";
exec { 'ip' } 'ip', '-batch', '-' or die "ip: $!\n";
`;

/**
 * Closes the ranges in the namespace with `prohibit` routes: the kernel of the namespace answers
 * EACCES before any packet reaches slirp4netns. That covers the host's alias in the NAT (10.0.2.2) as
 * well: --disable-host-loopback already refuses to forward it to 127.0.0.1, yet a build in CI once
 * completed a connection there.
 */
async function closeRanges(pid: number, inUserNamespace: boolean): Promise<void> {
  const syscalls = SYSCALLS[process.arch];
  if (inUserNamespace && !syscalls)
    throw new Error(`the sandbox's network cannot close the platform's ranges on ${process.arch}`);
  const [command, args] = inUserNamespace
    ? ['perl', ['-e', ENTER_AND_ROUTE, String(pid), ...(syscalls ?? []).map(String)]]
    : ['nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-batch', '-']];
  const route = spawn(command, args, {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  let complaint = '';
  route.stderr?.setEncoding('utf8');
  route.stderr?.on('data', (chunk: string) => (complaint += chunk));
  route.stdin?.end(
    closedRanges()
      .map((cidr) => `route replace prohibit ${cidr}\n`)
      .join(''),
  );
  const code = await new Promise<number | null>((resolve, reject) => {
    route.once('error', reject);
    route.once('exit', resolve);
  });
  if (code !== 0)
    throw new Error(
      `the sandbox's network could not close the platform's addresses: ${complaint.trim() || `exit ${code}`}`,
    );
}
