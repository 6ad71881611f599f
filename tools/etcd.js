#!/usr/bin/env node
// etcd for development and tests: Debian's etcd-server (installed when missing) on a loopback port,
// with a fresh data directory unless told to keep one (the local cluster keeps its own across
// restarts; tests start from nothing). `node tools/etcd.js start|stop|restart|status`.
// ETCD_PORT (default 2379) picks the client port; the peer port is the next one.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { aptInstall, CACHE, cli, Daemon, log, waitFor } from './lib/daemon.js';

const port = Number(process.env.ETCD_PORT ?? 2379);
const url = `http://127.0.0.1:${port}`;
const daemon = new Daemon(`etcd-${port}`);

/** `dataDir` holds etcd's data; `keep` starts from what it holds rather than from nothing. */
export async function start({ dataDir = join(CACHE, 'etcd', `data-${port}`), keep = false } = {}) {
  if (daemon.alive()) return url;
  aptInstall('etcd', ['etcd-server', 'etcd-client']);
  if (!keep || !existsSync(join(dataDir, 'member'))) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  log(`starting etcd on ${url}`);
  daemon.start('etcd', [
    '--name',
    'dispatch-dev',
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    url,
    '--advertise-client-urls',
    url,
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
  await waitFor(
    'etcd',
    async () => {
      const res = await fetch(`${url}/health`);
      return res.ok && (await res.json()).health === 'true';
    },
    30_000,
    daemon,
  );
  log(`etcd listening on ${url}`);
  return url;
}

export function running() {
  return daemon.alive();
}

export async function stop() {
  if (await daemon.stop()) log(`etcd on ${url} stopped`);
}

export function status() {
  return daemon.alive() ? `etcd running on ${url} (pid ${daemon.pid()})` : 'etcd not running';
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await cli({ start, stop, status });
