#!/usr/bin/env node
// A real single-node Kubernetes on this machine, for installing the chart as an operator would:
// containerd (Debian's) as the runtime, and kube-apiserver, kube-controller-manager, kube-scheduler,
// kubelet, kube-proxy and kubectl built from their Go modules (tools/kubernetes), CoreDNS as the
// cluster's DNS (tools/coredns), the pods on a CNI bridge (10.244.0.0/24). The API server keeps its
// objects in the test etcd under a key prefix of its own. Nothing leaves the machine: the node, the API
// server and the DNS answer on the host's address for containers (10.89.255.1), which pods reach through
// the bridge, and no image is pulled (`import` puts podman's images into containerd).
// `node tools/k8s.js up` builds the images, starts the node and installs Dispatch on it (see `up`).
// `node tools/k8s.js start|stop|status|build|bin|import IMAGE...|values FILE RELEASE BOOTSTRAP_PUB|
// ingress DIR RELEASE PORT TLS_PORT|uninstall RELEASE`; start prints the KUBECONFIG path, bin where
// kubectl and the rest are, values writes the chart's values for an installation on this node, ingress
// makes the IngressClass of a release and gives the command line of its controller (Traefik,
// tools/traefik, which serves the chart's Ingress). Every start
// is a fresh, empty cluster. Needs root (containerd, the kubelet and kube-proxy do).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as etcd from './etcd.js';
import { bootstrapAdmin, CLI_CONFIG, keyPair } from './lib/bootstrap.js';
import { ensureHostAddress, ensurePodman, podman } from './lib/containers.js';
import { aptInstall, CACHE, Daemon, log, ROOT, sleep, waitFor } from './lib/daemon.js';
import {
  bin,
  BIN,
  COREDNS,
  ensureBinaries,
  ensurePauseImage,
  ensureTraefik,
  KUBERNETES_VERSION,
  PAUSE_IMAGE,
} from './lib/k8s-build.js';
import {
  certificates,
  containerdConfig,
  corefile,
  COREDNS_RBAC,
  kubeconfig,
  kubeletConfig,
  proxyConfig,
  run,
  volumes,
  writeDispatchValues,
} from './lib/k8s-files.js';

const home = join(CACHE, 'k8s');
const NODE = 'dispatch-node';
const API_PORT = Number(process.env.K8S_API_PORT ?? 6444);
const POD_SUBNET = '10.244.0.0/24';
const SERVICE_RANGE = '10.96.0.0/16';
const CONTAINERD_SOCKET = join(home, 'run', 'containerd.sock');
export const KUBECONFIG = join(home, 'admin.kubeconfig');
const daemons = Object.fromEntries(
  [
    'containerd',
    'kube-apiserver',
    'kube-controller-manager',
    'kube-scheduler',
    'kubelet',
    'kube-proxy',
    'coredns',
  ].map((name) => [name, new Daemon(`k8s-${name}`)]),
);
/** The kernel settings the kubelet changes, put back when the node stops. */
const KUBELET_SYSCTLS = ['kernel/panic', 'kernel/panic_on_oops', 'vm/overcommit_memory'];

export const kubectl = (args, options = {}) =>
  run(bin('kubectl'), ['--kubeconfig', KUBECONFIG, ...args], options);

const ctr = (args, options = {}) =>
  run('ctr', ['--address', CONTAINERD_SOCKET, '-n', 'k8s.io', ...args], options);

/**
 * Puts podman's images into the node's containerd (no registry: pods use them with IfNotPresent). An
 * image the node already has, as podman has it now, is not sent again: a save and import of a service
 * image takes ten seconds or more, and the e2e suites ask for every image in each file.
 */
export function importImages(images) {
  ensurePodman();
  for (const image of images) {
    const id = podman(['image', 'inspect', '--format', '{{.Id}}', image], { quiet: true }).trim();
    const stamp = join(home, 'imported', image.replaceAll(/[^a-zA-Z0-9.-]/g, '_'));
    const onNode = ctr(['images', 'ls', '-q', `name==${image}`]).trim() !== '';
    if (onNode && existsSync(stamp) && readFileSync(stamp, 'utf8') === id) continue;
    const tar = join(home, 'import.tar');
    podman(['save', '-o', tar, image], { quiet: true });
    ctr(['images', 'import', tar]);
    rmSync(tar, { force: true });
    mkdirSync(dirname(stamp), { recursive: true });
    writeFileSync(stamp, id);
    log(`${image} is on the node`);
  }
}

function readSysctls() {
  return Object.fromEntries(KUBELET_SYSCTLS.map((s) => [s, readFileSync(`/proc/sys/${s}`, 'utf8').trim()]));
}

export async function start() {
  if (daemons.kubelet.alive()) return KUBECONFIG;
  if (process.getuid?.() !== 0)
    throw new Error('a Kubernetes node needs root (containerd, kubelet, kube-proxy)');
  aptInstall('containerd', ['containerd']);
  aptInstall('conntrack', ['conntrack']);
  aptInstall('iptables', ['iptables']);
  aptInstall('openssl', ['openssl']);
  ensureBinaries();
  // Installations' ingress controller, built with the node's commands rather than in a test's hook.
  ensureTraefik();
  const address = ensureHostAddress();
  const etcdServers = process.env.ETCD_ENDPOINTS ?? (await etcd.start());
  // What an earlier node left (it was not stopped, or the machine went down under it).
  await stop();
  mkdirSync(join(home, 'run'), { recursive: true, mode: 0o700 });
  writeFileSync(join(home, 'sysctls.json'), JSON.stringify(readSysctls()));
  const certs = join(home, 'certs');
  certificates(certs);
  const token = () => randomBytes(24).toString('hex');
  const tokens = {
    admin: [token(), 'admin', 'system:masters'],
    kubelet: [token(), `system:node:${NODE}`, 'system:nodes'],
    'kube-proxy': [token(), 'system:kube-proxy', ''],
    'kube-controller-manager': [token(), 'system:kube-controller-manager', ''],
    'kube-scheduler': [token(), 'system:kube-scheduler', ''],
    coredns: [token(), 'system:coredns', ''],
  };
  writeFileSync(
    join(home, 'tokens.csv'),
    Object.values(tokens)
      .map(([t, user, group]) => `${t},${user},${user}${group ? `,${group}` : ''}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );

  log('starting containerd');
  const containerd = containerdConfig({
    home,
    socket: CONTAINERD_SOCKET,
    podSubnet: POD_SUBNET,
    pauseImage: PAUSE_IMAGE,
  });
  daemons.containerd.start('containerd', ['--config', containerd]);
  await waitFor('containerd', () => existsSync(CONTAINERD_SOCKET), 30_000, daemons.containerd);
  ensurePauseImage(join(home, 'pause'));
  importImages([PAUSE_IMAGE]);

  const server = `https://${address}:${API_PORT}`;
  log(`starting kube-apiserver ${KUBERNETES_VERSION} on ${server}`);
  daemons['kube-apiserver'].start(bin('kube-apiserver'), [
    `--etcd-servers=${etcdServers.split(',')[0]}`,
    `--etcd-prefix=/k8s-${API_PORT}-${Date.now()}`,
    `--bind-address=${address}`,
    `--advertise-address=${address}`,
    `--secure-port=${API_PORT}`,
    `--cert-dir=${certs}`,
    `--service-cluster-ip-range=${SERVICE_RANGE}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${join(certs, 'sa.key')}`,
    `--service-account-signing-key-file=${join(certs, 'sa.key')}`,
    `--token-auth-file=${join(home, 'tokens.csv')}`,
    '--authorization-mode=Node,RBAC',
    `--kubelet-client-certificate=${join(certs, 'kubelet-client.crt')}`,
    `--kubelet-client-key=${join(certs, 'kubelet-client.key')}`,
    // The node by the address it reports, never by its name (a DNS query would leave the machine).
    '--kubelet-preferred-address-types=InternalIP',
    '--allow-privileged=true',
  ]);
  const ca = join(certs, 'apiserver.crt');
  const config = (name) => kubeconfig(join(home, `${name}.kubeconfig`), ca, server, tokens[name][0]);
  await waitFor(
    'kube-apiserver',
    () =>
      existsSync(ca) &&
      spawnSync('curl', [
        '-sf',
        '--cacert',
        ca,
        '-H',
        `Authorization: Bearer ${tokens.admin[0]}`,
        `${server}/readyz`,
      ]).status === 0,
    120_000,
    daemons['kube-apiserver'],
  );
  config('admin');
  // The admin kubeconfig under the name every tool looks for.
  writeFileSync(KUBECONFIG, readFileSync(join(home, 'admin.kubeconfig')), { mode: 0o600 });

  log('starting kube-controller-manager and kube-scheduler');
  daemons['kube-controller-manager'].start(bin('kube-controller-manager'), [
    `--kubeconfig=${config('kube-controller-manager')}`,
    '--leader-elect=false',
    `--service-account-private-key-file=${join(certs, 'sa.key')}`,
    `--root-ca-file=${ca}`,
    `--service-cluster-ip-range=${SERVICE_RANGE}`,
    '--use-service-account-credentials=true',
    '--bind-address=127.0.0.1',
    '--secure-port=10357',
  ]);
  daemons['kube-scheduler'].start(bin('kube-scheduler'), [
    `--kubeconfig=${config('kube-scheduler')}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    '--secure-port=10359',
  ]);

  // The cluster's DNS: CoreDNS on the host's address, reading the API as a user of its own.
  kubectl(['apply', '-f', '-'], { input: COREDNS_RBAC });
  const dns = corefile(join(home, 'Corefile'), { address, kubeconfig: config('coredns') });
  daemons.coredns.start(COREDNS, ['-conf', dns]);

  log('starting kube-proxy and the kubelet');
  const proxy = proxyConfig(join(home, 'kube-proxy.yaml'), {
    kubeconfig: config('kube-proxy'),
    address,
    podSubnet: POD_SUBNET,
    node: NODE,
  });
  daemons['kube-proxy'].start(bin('kube-proxy'), [`--config=${proxy}`]);

  const kubelet = kubeletConfig(join(home, 'kubelet.yaml'), {
    address,
    clientCA: join(certs, 'ca.crt'),
    socket: CONTAINERD_SOCKET,
  });
  daemons.kubelet.start(bin('kubelet'), [
    `--config=${kubelet}`,
    `--kubeconfig=${config('kubelet')}`,
    `--root-dir=${join(home, 'kubelet')}`,
    `--hostname-override=${NODE}`,
    `--node-ip=${address}`,
  ]);
  await waitFor(
    `the node ${NODE} Ready`,
    () => {
      const res = spawnSync(bin('kubectl'), [
        '--kubeconfig',
        KUBECONFIG,
        'get',
        'node',
        NODE,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ]);
      return res.status === 0 && res.stdout.toString() === 'True';
    },
    120_000,
    daemons.kubelet,
  );
  kubectl(['apply', '-f', '-'], { input: volumes(home) });
  log(`Kubernetes ${KUBERNETES_VERSION}: node ${NODE} Ready; KUBECONFIG=${KUBECONFIG}`);
  return KUBECONFIG;
}

/** What `up` keeps across node restarts: the installation's keys, its values, the ingress's files. */
const installation = join(CACHE, 'k8s-dispatch');
const RELEASE = 'dispatch';
const ingressPort = Number(process.env.DISPATCH_K8S_PORT ?? 8095);
const ingressTlsPort = Number(process.env.DISPATCH_K8S_TLS_PORT ?? 8096);
const ingress = new Daemon('k8s-ingress');

/**
 * Dispatch on this node in one command: the service images built from the sources (tools/images.js),
 * the node started, the images put on it, the chart installed (or upgraded) as release `dispatch` with
 * the values above, its Ingress served by Traefik (tools/lib/k8s-ingress.js) on
 * 127.0.0.1:DISPATCH_K8S_PORT (8095) and over HTTPS on DISPATCH_K8S_TLS_PORT (8096), and the first administrator made with the bootstrap key, with the CLI
 * context `kubernetes`. The installation's data lives under the etcd prefix `/kubernetes/dispatch/`, so a node
 * started again finds it, with the same secrets key and administrator.
 */
export async function up() {
  const images = await import('./images.js');
  const { SERVICES } = await import('@dispatch/contracts');
  const started = Date.now();
  const seconds = () => `${Math.round((Date.now() - started) / 1000)} s`;
  for (const service of SERVICES) images.build(service);
  log(`images built (${seconds()})`);
  // etcd, Kafka and PostgreSQL on the host, keeping their data (as the local cluster's), answering pods too.
  mkdirSync(installation, { recursive: true, mode: 0o700 });
  const kafka = await import('./kafka.js');
  const postgres = await import('./postgres.js');
  process.env.ETCD_ENDPOINTS = await etcd.start({
    dataDir: join(installation, 'etcd'),
    keep: true,
    containers: true,
  });
  await kafka.start({ dataDir: join(installation, 'kafka'), keep: true, containers: true });
  await postgres.start({ dataDir: join(installation, 'postgres'), keep: true, containers: true });
  if (!running()) await start();
  log(`node Ready (${seconds()})`);
  importImages(SERVICES.map((service) => images.imageOf(service)));
  const bootstrap = keyPair(join(installation, 'bootstrap.key'));
  const secretsKeyFile = join(installation, 'secrets.key');
  if (!existsSync(secretsKeyFile))
    writeFileSync(secretsKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  const values = writeDispatchValues(join(installation, 'values.json'), {
    release: RELEASE,
    bootstrapPublicKey: bootstrap.publicPem,
    tag: images.VERSION,
    secretsKey: readFileSync(secretsKeyFile, 'utf8'),
  });
  const { helm } = await import('./helm.js');
  process.env.KUBECONFIG = KUBECONFIG;
  helm(
    [
      'upgrade',
      '--install',
      RELEASE,
      join(ROOT, 'charts/dispatch'),
      '-n',
      RELEASE,
      '--create-namespace',
    ].concat(['--wait', '--timeout', '10m', '-f', values]),
  );
  log(`chart installed, every pod Ready (${seconds()})`);
  await ingress.stop();
  const { command, args, env } = await ingressFor(
    join(installation, 'ingress'),
    RELEASE,
    ingressPort,
    ingressTlsPort,
  );
  ingress.start(command, args, { env: { ...process.env, ...env } });
  const api = `http://127.0.0.1:${ingressPort}`;
  // The controller answers once it has read the Ingress from the API server.
  await waitFor(
    'the ingress',
    async () => (await fetch(`${api}/v1/version`).catch(() => undefined))?.ok,
    60_000,
    ingress,
  );
  await bootstrapAdmin({
    api,
    port: ingressPort,
    bootstrapKey: bootstrap.privateKey,
    adminKey: join(installation, 'admin.key'),
    context: 'kubernetes',
    fresh: `remove ${installation} and the etcd prefix /kubernetes/${RELEASE}/ to start a new installation`,
  });
  log(`Dispatch on Kubernetes answers on ${api}; CLI context "kubernetes" in ${CLI_CONFIG} (${seconds()})`);
  return api;
}

/**
 * Mount points left under the node's folder, deepest first: the kubelet's (secrets' tmpfs, projected
 * volumes) and containerd's (a pod sandbox's /dev/shm).
 */
function mountsUnder(dir) {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m?.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * The kubelet's own firewall chains (KUBE-FIREWALL, KUBE-KUBELET-CANARY), which it never removes and
 * kube-proxy's cleanup does not know: the rules jumping to them, then the chains.
 */
function removeKubeChains() {
  for (const command of ['iptables', 'ip6tables'])
    for (const table of ['filter', 'nat', 'mangle']) {
      const rules = spawnSync(command, ['-t', table, '-S'], { encoding: 'utf8' }).stdout ?? '';
      const lines = rules.split('\n');
      for (const rule of lines.filter((l) => l.startsWith('-A ') && / -j KUBE-/.test(l)))
        spawnSync(command, ['-t', table, '-D', ...rule.slice(3).split(' ')]);
      for (const chain of lines.filter((l) => l.startsWith('-N KUBE-')).map((l) => l.slice(3)))
        spawnSync(command, ['-t', table, '-F', chain]);
      for (const chain of lines.filter((l) => l.startsWith('-N KUBE-')).map((l) => l.slice(3)))
        spawnSync(command, ['-t', table, '-X', chain]);
    }
}

export async function stop() {
  const had = existsSync(home);
  await ingress.stop();
  // Pods first, while containerd is there to end them; then the node, then the control plane.
  if (daemons.containerd.alive()) {
    const tasks = spawnSync('ctr', ['--address', CONTAINERD_SOCKET, '-n', 'k8s.io', 'tasks', 'ls', '-q'], {
      encoding: 'utf8',
    }).stdout;
    for (const id of (tasks ?? '').split('\n').filter(Boolean))
      spawnSync('ctr', [
        '--address',
        CONTAINERD_SOCKET,
        '-n',
        'k8s.io',
        'tasks',
        'kill',
        '-s',
        'SIGKILL',
        id,
      ]);
  }
  for (const name of [
    'kubelet',
    'kube-proxy',
    'coredns',
    'kube-scheduler',
    'kube-controller-manager',
    'kube-apiserver',
  ])
    await daemons[name].stop();
  await daemons.containerd.stop();
  // What outlives them: the shims, kube-proxy's rules, the pods' bridge, mounts, the kernel settings.
  spawnSync('pkill', [
    '-KILL',
    '-f',
    `containerd-shim-runc-v2 -namespace k8s.io -address ${CONTAINERD_SOCKET}`,
  ]);
  if (existsSync(bin('kube-proxy'))) spawnSync(bin('kube-proxy'), ['--cleanup']);
  removeKubeChains();
  spawnSync('ip', ['link', 'del', 'dispatch-pods']);
  if (had) {
    for (const mount of mountsUnder(home)) spawnSync('umount', ['-l', mount]);
    const saved = join(home, 'sysctls.json');
    if (existsSync(saved))
      for (const [name, value] of Object.entries(JSON.parse(readFileSync(saved, 'utf8'))))
        writeFileSync(`/proc/sys/${name}`, value);
    await sleep(200);
    rmSync(home, { recursive: true, force: true });
    log('the Kubernetes node is stopped and gone');
  }
}

export function status() {
  return [...Object.entries(daemons), ['ingress', ingress]]
    .map(([name, d]) => `${name}: ${d.alive() ? `running (pid ${d.pid()})` : 'not running'}`)
    .join('\n');
}

export function running() {
  return daemons.kubelet.alive();
}

/**
 * The ingress controller of a release (tools/lib/k8s-ingress.js): its IngressClass made on the node,
 * its files written into `dir`; gives the command line and environment to run it with.
 */
export async function ingressFor(dir, release, port, tlsPort) {
  const { ingressClass, prepareIngress } = await import('./lib/k8s-ingress.js');
  kubectl(['apply', '-f', '-'], { input: ingressClass(release) });
  return prepareIngress({
    dir,
    release,
    port: Number(port),
    tlsPort: Number(tlsPort),
    kubeconfig: KUBECONFIG,
  });
}

/**
 * Removes a release installed in a namespace of its own name, as the e2e suites install them: the
 * release, its data claim and its namespace; its volume is emptied and given back for the next claim
 * (a volume keeps its data after its claim by design, so the node would otherwise run out of them).
 */
export async function uninstall(release) {
  const { helm } = await import('./helm.js');
  process.env.KUBECONFIG = KUBECONFIG;
  const attempt = (fn) => {
    try {
      return fn();
    } catch {
      return undefined;
    }
  };
  attempt(() => helm(['uninstall', release, '-n', release, '--wait']));
  const claim = `${release}-data`;
  const volume = attempt(() =>
    kubectl(['get', 'pvc', claim, '-n', release, '-o', 'jsonpath={.spec.volumeName}']).trim(),
  );
  attempt(() => kubectl(['delete', 'pvc', claim, '-n', release, '--wait=true', '--timeout=60s']));
  attempt(() => kubectl(['delete', 'namespace', release, '--wait=false']));
  attempt(() => kubectl(['delete', 'ingressclass', release, '--ignore-not-found']));
  if (!volume) return;
  const path = kubectl(['get', 'pv', volume, '-o', 'jsonpath={.spec.hostPath.path}']).trim();
  if (!path.startsWith(join(home, 'volumes') + '/')) return;
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  run('chown', ['10001:10001', path]);
  kubectl(['patch', 'pv', volume, '--type', 'json', '-p', '[{"op":"remove","path":"/spec/claimRef"}]']);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [verb = 'start', ...rest] = process.argv.slice(2);
  try {
    if (verb === 'start') console.log(await start());
    else if (verb === 'up') console.log(await up());
    else if (verb === 'stop') await stop();
    else if (verb === 'status') console.log(status());
    else if (verb === 'build') console.log(ensureBinaries(), ensureTraefik());
    else if (verb === 'bin') console.log(BIN);
    else if (verb === 'values' && rest.length === 3)
      console.log(
        writeDispatchValues(rest[0], { release: rest[1], bootstrapPublicKey: readFileSync(rest[2], 'utf8') }),
      );
    else if (verb === 'import') importImages(rest);
    else if (verb === 'uninstall' && rest.length === 1) await uninstall(rest[0]);
    else if (verb === 'ingress' && rest.length === 4) console.log(JSON.stringify(await ingressFor(...rest)));
    else
      throw new Error(
        `unknown command '${verb}': use start, up, stop, status, build, bin, import IMAGE..., values FILE RELEASE BOOTSTRAP_PUB, ingress DIR RELEASE PORT TLS_PORT or uninstall RELEASE`,
      );
  } catch (err) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
}
