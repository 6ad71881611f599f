// Building the single-node Kubernetes of tools/k8s.js: its commands from their Go modules
// (tools/kubernetes, tools/coredns, tools/pause), once per machine, kept by version outside the clone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePodman, podman, podmanEnv } from './containers.js';
import { BUILD_CACHE } from './daemon.js';
import { goBuild } from './go-build.js';

export const KUBERNETES_VERSION = 'v1.34.4';
const COREDNS_VERSION = 'v1.15.0';
const TRAEFIK_VERSION = 'v3.6.10';
export const PAUSE_IMAGE = 'localhost/pause:3.10';
export const BIN = join(BUILD_CACHE, 'bin', `kubernetes-${KUBERNETES_VERSION}`);
export const COREDNS = join(BUILD_CACHE, 'bin', `coredns-${COREDNS_VERSION}`, 'coredns');
export const TRAEFIK = join(BUILD_CACHE, 'bin', `traefik-${TRAEFIK_VERSION}`, 'traefik');
const COMMANDS = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'kubectl',
];

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

/** The ingress controller (tools/traefik), built when missing. */
export function ensureTraefik() {
  if (!existsSync(TRAEFIK))
    goBuild('traefik', ['github.com/traefik/traefik/v3/cmd/traefik'], join(TRAEFIK, '..'));
  return TRAEFIK;
}

/** Where one of the commands is. */
export const bin = (command) => join(BIN, command);

/** The pause image (tools/pause) in podman, built once with Go in `dir`; the node imports it. */
export function ensurePauseImage(dir) {
  ensurePodman();
  if (spawnSync('podman', ['image', 'exists', PAUSE_IMAGE], { env: podmanEnv() }).status === 0) return;
  mkdirSync(dir, { recursive: true });
  goBuild('pause', ['.'], dir);
  writeFileSync(join(dir, 'Containerfile'), 'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n');
  podman(['build', '-q', '-t', PAUSE_IMAGE, dir], { quiet: true });
}
