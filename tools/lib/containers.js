// podman as the tools use it: one settings file for this machine, the network the local cluster's
// containers share, and the address on which the host's own servers (etcd, Kafka) answer them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { aptInstall, CACHE, log, ROOT } from './daemon.js';

/** The podman network of the local cluster's containers: they find one another by name on it. */
export const NETWORK = { name: 'dispatch', subnet: '10.89.64.0/24' };

/**
 * The host as containers and pods reach it: a private address of its own on the loopback interface
 * (not 127/8, which a packet from a container may not reach; not a bridge's, which comes and goes with
 * its containers; kernels without the dummy device type exist). The host's etcd and Kafka listen here
 * too, so services in containers reach the same servers the tests use. Nothing outside routes to it.
 */
export const HOST_ADDRESS = { device: 'lo', address: '10.89.255.1' };

/**
 * podman's settings for this machine (see shared notes): runc, since crun refuses a hybrid cgroup
 * layout, and ulimits within the hard limits a process without CAP_SYS_RESOURCE may not raise.
 */
export function containersConf() {
  const file = join(CACHE, 'podman', 'containers.conf');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    [
      '[containers]',
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      '[engine]',
      'runtime = "runc"',
      '',
    ].join('\n'),
  );
  return file;
}

let conf;
/** The environment podman runs with: this machine's settings. */
export function podmanEnv() {
  conf ??= containersConf();
  return { ...process.env, CONTAINERS_CONF: conf };
}

/** Runs podman; fails with its own words unless `check` is false. Gives its standard output. */
export function podman(args, { input, quiet = false, check = true } = {}) {
  const res = spawnSync('podman', args, {
    cwd: ROOT,
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', quiet ? 'pipe' : 'inherit', 'pipe'],
    env: podmanEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  const stderr = res.stderr?.toString() ?? '';
  if (check && res.status !== 0)
    throw new Error(
      `podman ${args.slice(0, 2).join(' ')} failed (exit ${res.status}): ${stderr.trim().slice(-4000)}`,
    );
  if (!quiet && stderr) process.stderr.write(stderr);
  return res.status === 0 ? (res.stdout?.toString() ?? '') : '';
}

export function ensurePodman() {
  aptInstall('podman', ['podman', 'runc']);
  aptInstall('runc', ['runc']);
}

/** The cluster's network, made once. */
export function ensureNetwork() {
  ensurePodman();
  if (spawnSync('podman', ['network', 'exists', NETWORK.name], { env: podmanEnv() }).status === 0) return;
  log(`making the podman network ${NETWORK.name} (${NETWORK.subnet})`);
  podman(['network', 'create', '--subnet', NETWORK.subnet, NETWORK.name], { quiet: true });
}

/** The host's address for containers (see HOST_ADDRESS), made once; needs root, as podman does here. */
export function ensureHostAddress() {
  const { device, address } = HOST_ADDRESS;
  const ip = (args) => spawnSync('ip', args, { encoding: 'utf8' });
  if (ip(['-4', 'addr', 'show', 'dev', device]).stdout?.includes(`${address}/`)) return address;
  aptInstall('ip', ['iproute2']);
  log(`giving the host the address ${address} (on ${device}) for containers`);
  const res = ip(['addr', 'add', `${address}/32`, 'dev', device]);
  if (res.status !== 0 && !/File exists/.test(res.stderr))
    throw new Error(`ip addr add ${address}/32 dev ${device} failed: ${res.stderr.trim()} (it needs root)`);
  return address;
}

/** The services whose containers run tenants' code in sandboxes. */
const RUNS_TENANT_CODE = new Set(['functions', 'images', 'events']);
/**
 * What a sandbox needs of its container, as the chart's pods have it: an unmasked /proc (a sandbox
 * mounts its own) and /dev/net/tun for a run's own network. The kernel's user namespaces do the rest.
 */
const SANDBOX_OPTIONS = ['--security-opt', 'systempaths=unconfined', '--device', '/dev/net/tun'];
/** The certificate authorities the host trusts (Debian's bundle, and Java's store made from it). */
const TRUST = ['/etc/ssl/certs/ca-certificates.crt', '/etc/ssl/certs/java/cacerts'];
const TRUST_ENV = {
  SSL_CERT_FILE: TRUST[0],
  REQUESTS_CA_BUNDLE: TRUST[0],
  PIP_CERT: TRUST[0],
  NODE_EXTRA_CA_CERTS: TRUST[0],
};

/**
 * `podman run` arguments for one replica of a service on the cluster's network: `name` is its host
 * name there and `alias` the name all its replicas answer to (as a Kubernetes Service's); `ports` are
 * published on the host's loopback as the same ports; `volumes` are host directories mounted at the
 * same paths; `detach` runs it in the background (kept once it ends, for its logs). A service that runs tenants' code gets
 * what its sandboxes need, and the host's trusted authorities (an operator behind a TLS-inspecting
 * proxy trusts its CA, and so must the builds).
 */
export function serviceRunArgs({
  service,
  image,
  name,
  alias,
  ports = [],
  env = {},
  volumes = [],
  detach = false,
}) {
  const tenantCode = RUNS_TENANT_CODE.has(service);
  const trust = tenantCode ? TRUST.filter((file) => existsSync(file)) : [];
  return [
    'run',
    // In the background it stays once it ends, for `podman logs`; in the foreground it goes.
    ...(detach ? ['--detach'] : ['--rm']),
    '--name',
    name,
    '--network',
    NETWORK.name,
    '--network-alias',
    alias,
    ...ports.flatMap((port) => ['-p', `127.0.0.1:${port}:${port}`]),
    ...volumes.flatMap((dir) => ['-v', `${dir}:${dir}`]),
    ...(tenantCode ? SANDBOX_OPTIONS : []),
    ...trust.flatMap((file) => ['-v', `${file}:${file}:ro`]),
    ...Object.entries({ ...(trust.length ? TRUST_ENV : {}), ...env }).flatMap(([k, v]) => [
      '-e',
      `${k}=${v}`,
    ]),
    image,
  ];
}

// `node tools/lib/containers.js run-args '<json>'`: serviceRunArgs for tests written in TypeScript.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [verb, json] = process.argv.slice(2);
  if (verb !== 'run-args' || !json) {
    console.error("usage: containers.js run-args '<json>'");
    process.exit(2);
  }
  console.log(JSON.stringify(serviceRunArgs(JSON.parse(json))));
}
