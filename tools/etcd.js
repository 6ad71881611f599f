#!/usr/bin/env node
// etcd for development and tests: Debian's etcd-server (installed when missing) on a loopback port,
// with a fresh data directory unless told to keep one (the local cluster keeps its own across
// restarts; tests start from nothing). `node tools/etcd.js start|stop|restart|status`.
// ETCD_PORT (default 2379) picks the client port; the peer port is the next one. `start --containers`
// also answers containers, on the host's address for them (tools/lib/containers.js).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureHostAddress, HOST_ADDRESS } from './lib/containers.js';
import { aptInstall, CACHE, cli, Daemon, log, waitFor } from './lib/daemon.js';

const port = Number(process.env.ETCD_PORT ?? 2379);
const url = `http://127.0.0.1:${port}`;
const daemon = new Daemon(`etcd-${port}`);
/** etcd as containers reach it, when started for them. */
export const containerUrl = `http://${HOST_ADDRESS.address}:${port}`;

/**
 * `dataDir` holds etcd's data; `keep` starts from what it holds rather than from nothing; `containers`
 * also listens on the host's address for containers.
 */
export async function start({
  dataDir = join(CACHE, 'etcd', `data-${port}`),
  keep = false,
  containers = false,
} = {}) {
  if (daemon.alive()) {
    if (containers && !(await answers(containerUrl)))
      throw new Error(
        'etcd is running without a listener for containers: `node tools/etcd.js restart --containers`',
      );
    return url;
  }
  aptInstall('etcd', ['etcd-server', 'etcd-client']);
  if (!keep || !existsSync(join(dataDir, 'member'))) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const urls = containers ? [url, `http://${ensureHostAddress()}:${port}`].join(',') : url;
  log(`starting etcd on ${urls}`);
  daemon.start('etcd', [
    '--name',
    'dispatch-dev',
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    urls,
    '--advertise-client-urls',
    urls,
    '--listen-peer-urls',
    `http://127.0.0.1:${port + 1}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${port + 1}`,
    '--initial-cluster',
    `dispatch-dev=http://127.0.0.1:${port + 1}`,
    // Keep a day of history so watches can resume, and the db small.
    '--auto-compaction-mode',
    'periodic',
    '--auto-compaction-retention',
    '24h',
    '--quota-backend-bytes',
    String(2 * 1024 ** 3),
  ]);
  await waitFor('etcd', () => answers(url), 30_000, daemon);
  log(`etcd listening on ${urls}`);
  return url;
}

async function answers(base) {
  try {
    const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
    return res.ok && (await res.json()).health === 'true';
  } catch {
    return false;
  }
}

export function running() {
  return daemon.alive();
}

/** The running etcd's process id (the benchmark reads its CPU), or undefined. */
export function pid() {
  return daemon.pid();
}

export async function stop() {
  if (await daemon.stop()) log(`etcd on ${url} stopped`);
}

export function status() {
  return daemon.alive() ? `etcd running on ${url} (pid ${daemon.pid()})` : 'etcd not running';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // A restart keeps the listener for containers the running etcd had.
  const containers =
    process.argv.includes('--containers') ||
    (process.argv[2] === 'restart' && daemon.alive() && (await answers(containerUrl)));
  await cli({ start: () => start({ containers }), stop, status });
}
