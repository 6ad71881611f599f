#!/usr/bin/env node
// PostgreSQL for development and tests: Debian's postgresql (installed when missing) on a loopback
// port, where the distributed shape keeps its run records. A fresh data directory unless told to keep
// one; the server runs as Debian's `postgres` user (it refuses root), with a database `dispatch` owned by
// the role `dispatch` (password `dispatch`: a development server answering this machine only).
// `node tools/postgres.js start|stop|restart|status`. POSTGRES_PORT (default 5432) picks the port;
// `start --containers` also answers containers and pods, on the host's address for them.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureHostAddress, HOST_ADDRESS } from './lib/containers.js';
import { aptInstall, CACHE, cli, Daemon, log, portOpen, waitFor } from './lib/daemon.js';

const port = Number(process.env.POSTGRES_PORT ?? 5432);
const daemon = new Daemon(`postgres-${port}`);
const credentials = 'dispatch:dispatch';
/** What the services are given (DISPATCH_POSTGRES_URL). */
export const url = `postgres://${credentials}@127.0.0.1:${port}/dispatch`;
/** The same server as containers and pods reach it, when started for them. */
export const containerUrl = `postgres://${credentials}@${HOST_ADDRESS.address}:${port}/dispatch`;

/** Debian installs the server's programs under a directory named by its major version. */
function binDir() {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest && join(root, newest, 'bin');
}

function ensureInstalled() {
  aptInstall('postgres', ['postgresql'], () => binDir() !== undefined);
  return binDir();
}

/** The uid and gid of Debian's `postgres` user, which owns the data. */
function postgresUser() {
  const id = (flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid <= 0)
    throw new Error('the postgres user is missing: reinstall postgresql');
  return { uid, gid: id('-g') };
}

/**
 * Lets the `postgres` user reach `dir`: each directory above it that others may not pass through (a
 * private temporary directory, the local cluster's home) gets o+x, passing through only, never listing
 * or reading.
 */
function traversable(dir) {
  for (let at = resolve(dir); at !== dirname(at); at = dirname(at)) {
    const mode = statSync(at).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(at, mode | 0o001);
  }
}

/**
 * `dataDir` holds the cluster; `keep` starts from what it holds rather than from nothing; `containers`
 * also listens on the host's address for containers and pods.
 */
export async function start({
  dataDir = join(CACHE, 'postgres', `data-${port}`),
  keep = false,
  containers = false,
} = {}) {
  if (daemon.alive()) {
    if (containers && !(await portOpen(port, HOST_ADDRESS.address)))
      throw new Error(
        'PostgreSQL is running without a listener for containers: `node tools/postgres.js restart --containers`',
      );
    return url;
  }
  const bin = ensureInstalled();
  const user = postgresUser();
  const runDir = join(dataDir, '..', `socket-${port}`);
  const fresh = !keep || !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    traversable(dirname(dataDir));
    chownSync(dataDir, user.uid, user.gid);
    chmodSync(dataDir, 0o700);
    const pwfile = join(dataDir, '..', `pw-${port}`);
    writeFileSync(pwfile, 'dispatch\n', { mode: 0o600 });
    chownSync(pwfile, user.uid, user.gid);
    const init = spawnSync(
      join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        'dispatch',
        '--pwfile',
        pwfile,
        '--auth',
        'scram-sha-256',
        '-E',
        'UTF8',
        '--no-instructions',
      ],
      { ...user, encoding: 'utf8' },
    );
    rmSync(pwfile, { force: true });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  mkdirSync(runDir, { recursive: true });
  chownSync(runDir, user.uid, user.gid);
  traversable(dirname(dataDir));
  const addresses = containers ? `127.0.0.1,${ensureHostAddress()}` : '127.0.0.1';
  log(`starting PostgreSQL on ${addresses.replaceAll(',', ' and ')} port ${port}`);
  daemon.start(
    join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      runDir,
      '-c',
      `listen_addresses=${addresses}`,
      // Answers only this machine's loopback addresses; a password is still asked (scram-sha-256).
      '-c',
      `hba_file=${writeHba(dataDir, user)}`,
      '-c',
      'max_connections=200',
    ],
    user,
  );
  await waitFor('PostgreSQL', () => portOpen(port), 30_000, daemon);
  if (fresh) {
    const created = spawnSync(
      join(bin, 'psql'),
      [
        '-h',
        runDir,
        '-p',
        String(port),
        '-U',
        'dispatch',
        '-d',
        'postgres',
        '-c',
        'CREATE DATABASE dispatch',
      ],
      { encoding: 'utf8', env: { ...process.env, PGPASSWORD: 'dispatch' } },
    );
    if (created.status !== 0) throw new Error(`creating the database failed: ${created.stderr}`);
  }
  log(`PostgreSQL listening on ${url}`);
  return url;
}

function writeHba(dataDir, user) {
  const file = join(dataDir, 'dispatch_hba.conf');
  writeFileSync(file, 'local all all scram-sha-256\nhost all all all scram-sha-256\n', { mode: 0o600 });
  chownSync(file, user.uid, user.gid);
  return file;
}

export function running() {
  return daemon.alive();
}

export async function stop() {
  if (await daemon.stop()) log(`PostgreSQL on port ${port} stopped`);
}

export function status() {
  return daemon.alive() ? `PostgreSQL running on ${url} (pid ${daemon.pid()})` : 'PostgreSQL not running';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // A restart keeps the listener for containers the running server had.
  const containers =
    process.argv.includes('--containers') ||
    (process.argv[2] === 'restart' && daemon.alive() && (await portOpen(port, HOST_ADDRESS.address)));
  await cli({ start: () => start({ containers }), stop, status });
}
