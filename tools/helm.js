#!/usr/bin/env node
// Helm, for checking charts/dispatch: built from its Go module (helm.sh/helm/v3, through the Go module
// proxy) into ~/.cache/dispatch/bin on first use, since no release binary can be downloaded here.
// `node tools/helm.js <helm args>` runs it, e.g. `node tools/helm.js template dispatch charts/dispatch`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILD_CACHE, have, log } from './lib/daemon.js';

export const HELM_VERSION = 'v3.22.0';
const BIN = join(BUILD_CACHE, 'bin');
export const HELM = join(BIN, `helm-${HELM_VERSION}`, 'helm');

/** The path of a helm binary, building it with Go when missing (a few minutes, once). */
export function ensureHelm() {
  if (existsSync(HELM)) return HELM;
  if (!have('go')) throw new Error('building helm needs Go (https://go.dev/doc/install)');
  log(`building helm ${HELM_VERSION} from its Go module (once)`);
  const res = spawnSync('go', ['install', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: join(BIN, `helm-${HELM_VERSION}`), CGO_ENABLED: '0' },
  });
  if (res.status !== 0 || !existsSync(HELM)) throw new Error(`building helm ${HELM_VERSION} failed`);
  return HELM;
}

/** Runs helm; gives its output, or throws with what it printed. */
export function helm(args) {
  const res = spawnSync(ensureHelm(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`helm ${args.join(' ')}:\n${res.stdout}${res.stderr}`);
  return res.stdout;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const res = spawnSync(ensureHelm(), process.argv.slice(2), { stdio: 'inherit' });
  process.exit(res.status ?? 1);
}
