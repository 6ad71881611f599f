#!/usr/bin/env node
// A real Kubernetes API server for the Kubernetes runtime driver's tests: kube-apiserver, built from its
// Go module (tools/kube-apiserver) into ~/.cache/dispatch/bin on first use, on the test etcd under its own key
// prefix. It is the API server alone: no scheduler, controllers or kubelet, so objects are stored,
// validated, defaulted and watched as on a cluster, but no pod ever runs.
// `node tools/kube.js start|stop|restart|status`; start prints the kubeconfig path (KUBECONFIG).
// KUBE_API_PORT (default 6443) picks the port; ETCD_ENDPOINTS an etcd, else tools/etcd.js starts one.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILD_CACHE, CACHE, cli, Daemon, have, log, ROOT, waitFor } from './lib/daemon.js';
import * as etcd from './etcd.js';

export const KUBERNETES_VERSION = 'v1.37.2';
const BIN = join(BUILD_CACHE, 'bin', `kube-apiserver-${KUBERNETES_VERSION}`, 'kube-apiserver');
const port = Number(process.env.KUBE_API_PORT ?? 6443);
const server = `https://127.0.0.1:${port}`;
const home = join(CACHE, 'kube', String(port));
export const KUBECONFIG = join(home, 'kubeconfig');
const daemon = new Daemon(`kube-apiserver-${port}`);

/** The kube-apiserver binary, built with Go when missing (about six minutes on two cores, once). */
export function ensureKubeApiserver() {
  if (existsSync(BIN)) return BIN;
  if (!have('go')) throw new Error('building kube-apiserver needs Go (https://go.dev/doc/install)');
  log(`building kube-apiserver ${KUBERNETES_VERSION} from its Go module (once)`);
  const res = spawnSync('go', ['build', '-o', BIN, 'k8s.io/kubernetes/cmd/kube-apiserver'], {
    cwd: join(ROOT, 'tools', 'kube-apiserver'),
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (res.status !== 0 || !existsSync(BIN)) throw new Error(`building kube-apiserver failed`);
  return BIN;
}

export async function start() {
  if (daemon.alive()) return KUBECONFIG;
  const binary = ensureKubeApiserver();
  const etcdServers = process.env.ETCD_ENDPOINTS ?? (await etcd.start());
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true, mode: 0o700 });
  // The service-account signing key, and one administrator token (group system:masters passes RBAC).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(home, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const token = randomBytes(24).toString('hex');
  writeFileSync(join(home, 'tokens.csv'), `${token},admin,admin,system:masters\n`, { mode: 0o600 });
  log(`starting kube-apiserver ${KUBERNETES_VERSION} on ${server}`);
  daemon.start(binary, [
    `--etcd-servers=${etcdServers}`,
    // A fresh prefix per start: every start is a new, empty cluster.
    `--etcd-prefix=/kube-${port}-${Date.now()}`,
    `--secure-port=${port}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // The endpoint reconciler refuses a loopback address; nothing here needs the kubernetes Service.
    '--endpoint-reconciler-type=none',
    `--cert-dir=${join(home, 'certs')}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${join(home, 'sa.key')}`,
    `--service-account-signing-key-file=${join(home, 'sa.key')}`,
    `--token-auth-file=${join(home, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    '--service-cluster-ip-range=10.96.0.0/16',
  ]);
  const ca = join(home, 'certs', 'apiserver.crt');
  await waitFor(
    'kube-apiserver',
    async () => {
      if (!existsSync(ca)) return false;
      const res = spawnSync(
        'curl',
        ['-sf', '--cacert', ca, '-H', `Authorization: Bearer ${token}`, `${server}/readyz`],
        { encoding: 'utf8' },
      );
      return res.status === 0;
    },
    120_000,
    daemon,
  );
  writeFileSync(KUBECONFIG, kubeconfig(ca, token), { mode: 0o600 });
  log(`kube-apiserver listening on ${server}; KUBECONFIG=${KUBECONFIG}`);
  return KUBECONFIG;
}

/** A kubeconfig for the administrator: what kubectl and @kubernetes/client-node read. */
function kubeconfig(ca, token) {
  const data = Buffer.from(readFileSync(ca)).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: dispatch-dev`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${data}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: dispatch-dev',
    '  context:',
    '    cluster: dispatch-dev',
    '    user: admin',
    '    namespace: default',
    'current-context: dispatch-dev',
    '',
  ].join('\n');
}

export function running() {
  return daemon.alive();
}

export async function stop() {
  if (await daemon.stop()) log(`kube-apiserver on ${server} stopped`);
}

export function status() {
  return daemon.alive()
    ? `kube-apiserver running on ${server} (pid ${daemon.pid()}); KUBECONFIG=${KUBECONFIG}`
    : 'kube-apiserver not running';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await cli({ start, stop, status });
