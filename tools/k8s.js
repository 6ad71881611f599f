#!/usr/bin/env node
// A real single-node Kubernetes on this machine, for installing the chart as an operator would:
// containerd (Debian's) as the runtime, and kube-apiserver, kube-controller-manager, kube-scheduler,
// kubelet, kube-proxy and kubectl built from their Go modules (tools/kubernetes), CoreDNS as the
// cluster's DNS (tools/coredns), the pods on a CNI bridge (10.244.0.0/24). The API server keeps its
// objects in the test etcd under a key prefix of its own. Nothing leaves the machine: the node, the API
// server and the DNS answer on the host's address for containers (10.89.255.1), which pods reach through
// the bridge, and no image is pulled (`import` puts podman's images into containerd).
// `node tools/k8s.js start|stop|status|build|bin|import IMAGE...`; start prints the KUBECONFIG path,
// bin where kubectl and the rest are. Every start
// is a fresh, empty cluster. Needs root (containerd, the kubelet and kube-proxy do).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as etcd from './etcd.js';
import { ensureHostAddress, ensurePodman, podman } from './lib/containers.js';
import { aptInstall, BUILD_CACHE, CACHE, Daemon, have, log, ROOT, sleep, waitFor } from './lib/daemon.js';

export const KUBERNETES_VERSION = 'v1.34.4';
const COREDNS_VERSION = 'v1.15.0';
const PAUSE_IMAGE = 'localhost/pause:3.10';
const BIN = join(BUILD_CACHE, 'bin', `kubernetes-${KUBERNETES_VERSION}`);
const COREDNS = join(BUILD_CACHE, 'bin', `coredns-${COREDNS_VERSION}`, 'coredns');
const COMMANDS = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'kubectl',
];

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

function run(command, args, options = {}) {
  const res = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (res.status !== 0)
    throw new Error(
      `${command} ${args.slice(0, 3).join(' ')} failed: ${(res.stderr || res.stdout || '').trim()}`,
    );
  return res.stdout;
}

/** Builds Go commands of a module under tools/ into `out` (once; they are cached by version). */
function goBuild(module, packages, out, ldflags = '') {
  if (!have('go')) throw new Error('building Kubernetes needs Go (https://go.dev/doc/install)');
  mkdirSync(out, { recursive: true });
  const names = packages.map((p) => (p === '.' ? module : p.split('/').pop()));
  log(`building ${names.join(', ')} from Go modules (once; many minutes)`);
  const res = spawnSync(
    'go',
    ['build', '-trimpath', '-ldflags', `-s -w ${ldflags}`, '-o', `${out}/`, ...packages],
    {
      cwd: join(ROOT, 'tools', module),
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CGO_ENABLED: '0' },
    },
  );
  if (res.status !== 0) throw new Error(`building ${module} failed; see the output above`);
}

/** The binaries: Kubernetes' commands and CoreDNS, built when missing. */
export function ensureBinaries() {
  if (!COMMANDS.every((c) => existsSync(join(BIN, c)))) {
    // The version the commands report (and charts' kubeVersion checks read), as a release build sets it.
    const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
    const version = [
      `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
      `-X k8s.io/component-base/version.gitMajor=${major}`,
      `-X k8s.io/component-base/version.gitMinor=${minor}`,
      '-X k8s.io/component-base/version.gitTreeState=clean',
    ].join(' ');
    goBuild(
      'kubernetes',
      COMMANDS.map((c) => `k8s.io/kubernetes/cmd/${c}`),
      BIN,
      version,
    );
  }
  if (!existsSync(COREDNS)) goBuild('coredns', ['.'], join(COREDNS, '..'));
  return BIN;
}

const bin = (command) => join(BIN, command);
export const kubectl = (args, options = {}) =>
  run(bin('kubectl'), ['--kubeconfig', KUBECONFIG, ...args], options);

/** A certificate authority and the API server's client certificate for the kubelet, with openssl. */
function certificates(dir) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ssl = (...args) => run('openssl', args);
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/CN=dispatch-node-ca',
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    join(dir, 'ca.crt'),
  );
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/O=system:masters/CN=kube-apiserver-kubelet-client',
    '-keyout',
    join(dir, 'kubelet-client.key'),
    '-out',
    join(dir, 'kubelet-client.csr'),
  );
  ssl(
    'x509',
    '-req',
    '-in',
    join(dir, 'kubelet-client.csr'),
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '30',
    '-out',
    join(dir, 'kubelet-client.crt'),
  );
  ssl('genrsa', '-out', join(dir, 'sa.key'), '2048');
}

/** A kubeconfig for one identity (a bearer token) against the API server. */
function kubeconfig(file, ca, server, token) {
  const data = readFileSync(ca).toString('base64');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: dispatch-node',
      `  cluster: { server: "${server}", certificate-authority-data: ${data} }`,
      'users:',
      `- name: user`,
      `  user: { token: ${token} }`,
      'contexts:',
      '- name: dispatch-node',
      '  context: { cluster: dispatch-node, user: user, namespace: default }',
      'current-context: dispatch-node',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

/** containerd with a configuration, socket and directories of its own, and the CRI settings that matter. */
function containerdConfig() {
  const cni = join(home, 'cni');
  mkdirSync(cni, { recursive: true });
  // A bridge for the pods, masquerading what leaves them, with hairpin so a pod reaches itself through
  // its Service; host-local hands out addresses from the node's pod subnet.
  writeFileSync(
    join(cni, '10-dispatch.conflist'),
    JSON.stringify(
      {
        cniVersion: '1.0.0',
        name: 'dispatch-pods',
        plugins: [
          {
            type: 'bridge',
            bridge: 'dispatch-pods',
            isGateway: true,
            ipMasq: true,
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              ranges: [[{ subnet: POD_SUBNET }]],
              routes: [{ dst: '0.0.0.0/0' }],
              dataDir: join(home, 'cni-ipam'),
            },
          },
          { type: 'portmap', capabilities: { portMappings: true } },
          { type: 'loopback' },
        ],
      },
      null,
      2,
    ),
  );
  const file = join(home, 'containerd.toml');
  writeFileSync(
    file,
    [
      'version = 2',
      `root = "${join(home, 'containerd', 'root')}"`,
      `state = "${join(home, 'containerd', 'state')}"`,
      '[grpc]',
      `  address = "${CONTAINERD_SOCKET}"`,
      '[plugins."io.containerd.grpc.v1.cri"]',
      `  sandbox_image = "${PAUSE_IMAGE}"`,
      // No CAP_SYS_RESOURCE here: a negative OOM score (the pause container's, Guaranteed pods') is clamped.
      '  restrict_oom_score_adj = true',
      '  [plugins."io.containerd.grpc.v1.cri".cni]',
      '    bin_dir = "/usr/lib/cni"',
      `    conf_dir = "${cni}"`,
      '  [plugins."io.containerd.grpc.v1.cri".containerd]',
      '    default_runtime_name = "runc"',
      '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
      '    runtime_type = "io.containerd.runc.v2"',
      '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
      '    SystemdCgroup = false',
      '',
    ].join('\n'),
  );
  return file;
}

const ctr = (args, options = {}) =>
  run('ctr', ['--address', CONTAINERD_SOCKET, '-n', 'k8s.io', ...args], options);

/** Puts podman's images into the node's containerd (no registry: pods use them with IfNotPresent). */
export function importImages(images) {
  ensurePodman();
  for (const image of images) {
    const tar = join(home, 'import.tar');
    podman(['save', '-o', tar, image], { quiet: true });
    ctr(['images', 'import', tar]);
    rmSync(tar, { force: true });
    log(`${image} is on the node`);
  }
}

/** The pause image, from tools/pause, built once with Go and podman. */
function pauseImage() {
  ensurePodman();
  if (spawnSync('podman', ['image', 'exists', PAUSE_IMAGE]).status !== 0) {
    const context = join(home, 'pause');
    mkdirSync(context, { recursive: true });
    goBuild('pause', ['.'], context);
    writeFileSync(join(context, 'Containerfile'), 'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n');
    podman(['build', '-q', '-t', PAUSE_IMAGE, context], { quiet: true });
  }
  importImages([PAUSE_IMAGE]);
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
  daemons.containerd.start('containerd', ['--config', containerdConfig()]);
  await waitFor('containerd', () => existsSync(CONTAINERD_SOCKET), 30_000, daemons.containerd);
  pauseImage();

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
  const corefile = join(home, 'Corefile');
  const upstream = readFileSync('/etc/resolv.conf', 'utf8')
    .split('\n')
    .map((l) => /^nameserver\s+(\S+)/.exec(l)?.[1])
    .filter(Boolean);
  writeFileSync(
    corefile,
    [
      '.:53 {',
      `  bind ${address}`,
      '  errors',
      `  health ${address}:18080`,
      `  ready ${address}:18181`,
      `  kubernetes cluster.local in-addr.arpa ip6.arpa {`,
      `    kubeconfig ${config('coredns')} dispatch-node`,
      '    pods insecure',
      '    fallthrough in-addr.arpa ip6.arpa',
      '  }',
      `  forward . ${upstream.join(' ') || '/etc/resolv.conf'}`,
      '  cache 30',
      '  loop',
      '  loadbalance',
      '}',
      '',
    ].join('\n'),
  );
  daemons.coredns.start(COREDNS, ['-conf', corefile]);

  log('starting kube-proxy and the kubelet');
  const proxyConfig = join(home, 'kube-proxy.yaml');
  writeFileSync(
    proxyConfig,
    [
      'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
      'kind: KubeProxyConfiguration',
      `clientConnection: { kubeconfig: ${config('kube-proxy')} }`,
      'mode: iptables',
      `clusterCIDR: ${POD_SUBNET}`,
      `hostnameOverride: ${NODE}`,
      `bindAddress: ${address}`,
      'healthzBindAddress: 127.0.0.1:10356',
      'metricsBindAddress: 127.0.0.1:10349',
      // Leaves the kernel's conntrack table as it is (changing it needs CAP_SYS_RESOURCE here).
      'conntrack: { maxPerCore: 0 }',
      '',
    ].join('\n'),
  );
  daemons['kube-proxy'].start(bin('kube-proxy'), [`--config=${proxyConfig}`]);

  const kubeletConfig = join(home, 'kubelet.yaml');
  writeFileSync(
    kubeletConfig,
    [
      'apiVersion: kubelet.config.k8s.io/v1beta1',
      'kind: KubeletConfiguration',
      `address: ${address}`,
      'port: 10350',
      'readOnlyPort: 0',
      'healthzBindAddress: 127.0.0.1',
      'healthzPort: 10348',
      'authentication:',
      '  anonymous: { enabled: false }',
      '  webhook: { enabled: true }',
      `  x509: { clientCAFile: ${join(certs, 'ca.crt')} }`,
      'authorization: { mode: Webhook }',
      `clusterDNS: [${address}]`,
      'clusterDomain: cluster.local',
      'resolvConf: /etc/resolv.conf',
      `containerRuntimeEndpoint: unix://${CONTAINERD_SOCKET}`,
      'cgroupDriver: cgroupfs',
      'failSwapOn: false',
      'failCgroupV1: false',
      'oomScoreAdj: 0',
      'protectKernelDefaults: false',
      'makeIPTablesUtilChains: true',
      // A development node: images are never collected, and only a nearly full disk evicts.
      'imageGCHighThresholdPercent: 100',
      'evictionHard: { "nodefs.available": "2%", "imagefs.available": "2%", "memory.available": "100Mi" }',
      '',
    ].join('\n'),
  );
  daemons.kubelet.start(bin('kubelet'), [
    `--config=${kubeletConfig}`,
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
  kubectl(['apply', '-f', '-'], { input: volumes() });
  log(`Kubernetes ${KUBERNETES_VERSION}: node ${NODE} Ready; KUBECONFIG=${KUBECONFIG}`);
  return KUBECONFIG;
}

/**
 * Storage for claims of the storage class `local` (no provisioner on one node): a few volumes in
 * directories under the node's folder, any access mode, owned by the user Dispatch's images run as.
 */
function volumes(count = 4) {
  const manifests = [
    'apiVersion: storage.k8s.io/v1',
    'kind: StorageClass',
    'metadata: { name: local }',
    'provisioner: kubernetes.io/no-provisioner',
    'volumeBindingMode: Immediate',
  ];
  for (let i = 0; i < count; i += 1) {
    const dir = join(home, 'volumes', `volume-${i}`);
    mkdirSync(dir, { recursive: true });
    run('chown', ['10001:10001', dir]);
    manifests.push(
      '---',
      'apiVersion: v1',
      'kind: PersistentVolume',
      `metadata: { name: local-${i} }`,
      'spec:',
      '  storageClassName: local',
      '  capacity: { storage: 20Gi }',
      '  accessModes: [ReadWriteOnce, ReadWriteMany]',
      '  persistentVolumeReclaimPolicy: Retain',
      `  hostPath: { path: ${dir}, type: Directory }`,
    );
  }
  return manifests.join('\n') + '\n';
}

/** What CoreDNS reads of the API: Services, their endpoints, namespaces and pods. */
const COREDNS_RBAC = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "system:coredns" }
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "system:coredns" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns" }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:coredns" }]
`;

/** Mount points the kubelet left under its directory (secrets' tmpfs, projected volumes), deepest first. */
function kubeletMounts() {
  const root = join(home, 'kubelet');
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m?.startsWith(root))
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
    for (const mount of kubeletMounts()) spawnSync('umount', ['-l', mount]);
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
  return Object.entries(daemons)
    .map(([name, d]) => `${name}: ${d.alive() ? `running (pid ${d.pid()})` : 'not running'}`)
    .join('\n');
}

export function running() {
  return daemons.kubelet.alive();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [verb = 'start', ...rest] = process.argv.slice(2);
  try {
    if (verb === 'start') console.log(await start());
    else if (verb === 'stop') await stop();
    else if (verb === 'status') console.log(status());
    else if (verb === 'build') console.log(ensureBinaries());
    else if (verb === 'bin') console.log(BIN);
    else if (verb === 'import') importImages(rest);
    else throw new Error(`unknown command '${verb}': use start, stop, status, build, bin or import IMAGE...`);
  } catch (err) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
}
