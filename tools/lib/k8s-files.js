// The files of the single-node Kubernetes of tools/k8s.js: certificates, kubeconfigs, the settings of
// containerd, CoreDNS, kube-proxy and the kubelet, its volumes, and the chart's values for it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerUrl } from '../etcd.js';
import { containerBroker } from '../kafka.js';
import { containerUrl as postgresUrl } from '../postgres.js';
import { selfSigned } from './tls.js';

/** Runs a command to its end; gives its output, or throws with what it said. */
export function run(command, args, options = {}) {
  const res = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (res.status !== 0)
    throw new Error(
      `${command} ${args.slice(0, 3).join(' ')} failed: ${(res.stderr || res.stdout || '').trim()}`,
    );
  return res.stdout;
}

/** A certificate authority and the API server's client certificate for the kubelet, with openssl. */
export function certificates(dir) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ssl = (...args) => run('openssl', args);
  selfSigned({
    keyFile: join(dir, 'ca.key'),
    certFile: join(dir, 'ca.crt'),
    subject: '/CN=dispatch-node-ca',
  });
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
export function kubeconfig(file, ca, server, token) {
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
export function containerdConfig({ home, socket, podSubnet, pauseImage }) {
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
              ranges: [[{ subnet: podSubnet }]],
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
      `  address = "${socket}"`,
      '[plugins."io.containerd.grpc.v1.cri"]',
      `  sandbox_image = "${pauseImage}"`,
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

/** CoreDNS on the node's address: the cluster's names from the API, every other name upstream. */
export function corefile(file, { address, kubeconfig: config }) {
  const upstream = readFileSync('/etc/resolv.conf', 'utf8')
    .split('\n')
    .map((l) => /^nameserver\s+(\S+)/.exec(l)?.[1])
    .filter(Boolean);
  writeFileSync(
    file,
    [
      '.:53 {',
      `  bind ${address}`,
      '  errors',
      `  health ${address}:18080`,
      `  ready ${address}:18181`,
      `  kubernetes cluster.local in-addr.arpa ip6.arpa {`,
      `    kubeconfig ${config} dispatch-node`,
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
  return file;
}

/** kube-proxy with iptables, on the node's address. */
export function proxyConfig(file, { kubeconfig: config, address, podSubnet, node }) {
  writeFileSync(
    file,
    [
      'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
      'kind: KubeProxyConfiguration',
      `clientConnection: { kubeconfig: ${config} }`,
      'mode: iptables',
      `clusterCIDR: ${podSubnet}`,
      `hostnameOverride: ${node}`,
      `bindAddress: ${address}`,
      'healthzBindAddress: 127.0.0.1:10356',
      'metricsBindAddress: 127.0.0.1:10349',
      // Leaves the kernel's conntrack table as it is (changing it needs CAP_SYS_RESOURCE here).
      'conntrack: { maxPerCore: 0 }',
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * The kubelet: on the node's address, callers proven by a client certificate of the node's CA or a
 * token the API server vouches for, the settings this machine needs (cgroup v1 with cgroupfs, swap,
 * no OOM score below 0: see the shared notes).
 */
export function kubeletConfig(file, { address, clientCA, socket }) {
  writeFileSync(
    file,
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
      `  x509: { clientCAFile: ${clientCA} }`,
      'authorization: { mode: Webhook }',
      `clusterDNS: [${address}]`,
      'clusterDomain: cluster.local',
      'resolvConf: /etc/resolv.conf',
      `containerRuntimeEndpoint: unix://${socket}`,
      'cgroupDriver: cgroupfs',
      'failSwapOn: false',
      'failCgroupV1: false',
      'oomScoreAdj: 0',
      // A changed ConfigMap (the events service's driver programs) reaches its pods within this.
      'syncFrequency: 10s',
      'protectKernelDefaults: false',
      'makeIPTablesUtilChains: true',
      // A development node: images are never collected, and only a nearly full disk evicts.
      'imageGCHighThresholdPercent: 100',
      'evictionHard: { "nodefs.available": "2%", "imagefs.available": "2%", "memory.available": "100Mi" }',
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * Storage for claims of the storage class `local` (no provisioner on one node): a dozen volumes (a
 * released one stays released until the node starts again: an e2e run installs a few times) in
 * directories under the node's folder, any access mode, owned by the user Dispatch's images run as.
 */
export function volumes(home, count = 12) {
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
export const COREDNS_RBAC = `
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

/**
 * The chart's values for an installation on this node, written to `file` (a values file, since a
 * trust store is larger than one command-line argument may be): the images put here by `import`, the
 * host's etcd and Kafka as external ones (answering containers; the installation under a key prefix of
 * its own), the `local` storage class, no Ingress (no controller runs here), one functions replica on
 * two cores, the sandbox settings for a runtime without user namespaces (see values.yaml), the given
 * bootstrap key and the host's certificate authorities.
 */
export function writeDispatchValues(file, { release, bootstrapPublicKey, tag = '0.1.0', secretsKey }) {
  const read = (path) => (existsSync(path) ? readFileSync(path) : undefined);
  const caBundle = read('/etc/ssl/certs/ca-certificates.crt');
  const javaStore = read('/etc/ssl/certs/java/cacerts');
  const values = {
    image: { registry: 'localhost', tag, pullPolicy: 'Never' },
    etcd: { endpoints: [containerUrl], namespace: `/kubernetes/${release}/` },
    kafka: { brokers: [containerBroker] },
    // A schema per release: each is an installation of its own in the one test database.
    postgres: { url: postgresUrl, schema: release.replace(/[^a-z0-9]/g, '_').replace(/^[0-9]/, '_$&') },
    data: { storageClass: 'local' },
    // The chart's Ingress, served by the release's own controller (tools/lib/k8s-ingress.js).
    ingress: { enabled: true, className: release },
    // One node of two cores holds a release or two and their rolling upgrades: each service asks for
    // a sliver of CPU (they idle at far less), so the scheduler places every pod and its surge.
    services: Object.fromEntries(
      ['identity', 'images', 'functions', 'secrets', 'events', 'api-gateway'].map((service) => [
        service,
        {
          ...(service === 'functions' && { replicas: 1 }),
          resources: {
            requests: { cpu: '20m' },
            // The functions and images pods hold every warm runner and build of the suites sharing an
            // installation: more memory than one tenant's worth.
            ...(['functions', 'images'].includes(service) && { limits: { memory: '3Gi' } }),
          },
        },
      ]),
    ),
    sandbox: {
      hostUsers: true,
      securityContext: { procMount: 'Default', privileged: true, allowPrivilegeEscalation: true },
    },
    identity: { bootstrapPublicKey },
    ...(secretsKey && { secrets: { key: secretsKey } }),
    trust: {
      ...(caBundle && { caBundle: caBundle.toString('utf8') }),
      ...(javaStore && { javaTrustStore: javaStore.toString('base64') }),
    },
  };
  writeFileSync(file, JSON.stringify(values, null, 2), { mode: 0o600 });
  return file;
}
