#!/usr/bin/env node
// The distributed shape on one machine: etcd, Kafka, each service as its own process and nginx as the
// ingress, as Kubernetes would run them. `node tools/cluster.js start|stop|restart|status`.
// `start --containers` runs each service in its container image instead (tools/images.js builds them),
// on the podman network `dispatch`, where the services find one another by name; etcd and Kafka then
// also answer containers, on the host's address for them (tools/lib/containers.js).
// The cluster keeps its data (etcd's, Kafka's and the services') in .cache/cluster across a stop and a
// start; `start --fresh` throws it away and bootstraps a new installation.
// The API and endpoints answer on the ingress (DISPATCH_CLUSTER_PORT, default 8090); endpoints also on
// the gateway's own port (8081). A fresh cluster is bootstrapped as an operator would: org `default`, service account
// `admin` and its policy, with a CLI context `cluster` in ~/.dispatch/config.json (or DISPATCH_CONFIG).
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DispatchClient, saveCliContext } from '@dispatch/api-client';
import { GATEWAY_PORTS, localServiceUrl, peerUrlVariable, SERVICES, TOPOLOGY } from '@dispatch/contracts';
import { SignJWT } from 'jose';
import * as etcd from './etcd.js';
import { build, imageOf } from './images.js';
import * as kafka from './kafka.js';
import { ensureNetwork, podman, serviceRunArgs } from './lib/containers.js';
import { CACHE, cli, Daemon, log, ROOT, waitFor } from './lib/daemon.js';
import { prepare } from './nginx.js';

const port = Number(process.env.DISPATCH_CLUSTER_PORT ?? 8090);
const ingress = `http://127.0.0.1:${port}`;
const home = join(CACHE, 'cluster');
const daemons = Object.fromEntries(SERVICES.map((s) => [s, new Daemon(`cluster-${s}`)]));
const nginx = new Daemon('cluster-nginx');
const keys = { bootstrap: join(home, 'bootstrap.key'), admin: join(home, 'admin.key') };
const cliConfig = process.env.DISPATCH_CONFIG ?? join(homedir(), '.dispatch', 'config.json');

const url = localServiceUrl;
/** The api-gateway's port serving endpoints; the ingress sends every non-API path there. */
const GATEWAY_PORT = GATEWAY_PORTS.http;
/** The user the services' images run as: the data directory they share must be theirs. */
const SERVICE_UID = 10001;
/** In containers: each service's container, also its name on the network. */
const containerOf = (service) => `dispatch-cluster-${service}`;

/** Whether a service's container is running (`all`: or there, ended). */
function containerUp(service, all = false) {
  const args = ['ps', ...(all ? ['--all'] : []), '--format', '{{.Names}}'];
  return podman([...args, '--filter', `name=^${containerOf(service)}$`], {
    quiet: true,
    check: false,
  }).includes(containerOf(service));
}

/** A key pair kept in the cluster's folder (owner-only), made on first use. */
function keyPair(file) {
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  return {
    privateKey,
    publicPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * `fresh` starts a new, empty installation; otherwise the cluster goes on with the data it had.
 * `containers` runs the services in their images rather than as processes.
 */
export async function start({ fresh = false, containers = false } = {}) {
  if (fresh) {
    await stop();
    rmSync(home, { recursive: true, force: true });
    log('starting a fresh cluster: its earlier data is gone');
  }
  if (nginx.alive()) return ingress;
  mkdirSync(home, { recursive: true, mode: 0o700 });
  if (!containers && !existsSync(join(ROOT, 'apps/functions/dist/main.js')))
    throw new Error('the services are not built: run `npm run build` first');
  const etcdUrl = await etcd.start({ dataDir: join(home, 'etcd'), keep: true, containers });
  const brokers = await kafka.start({ dataDir: join(home, 'kafka'), keep: true, containers });
  const bootstrap = keyPair(keys.bootstrap);
  const dataDir = join(home, 'data');
  const settings = (service, servers, peerUrl) => ({
    DISPATCH_PORT: String(TOPOLOGY[service].port),
    DISPATCH_ETCD_ENDPOINTS: servers.etcd,
    DISPATCH_KAFKA_BROKERS: servers.kafka,
    DISPATCH_DATA_DIR: dataDir,
    ...Object.fromEntries(TOPOLOGY[service].peers.map((peer) => [peerUrlVariable(peer), peerUrl(peer)])),
    DISPATCH_BOOTSTRAP_PUBLIC_KEY: bootstrap.publicPem,
    DISPATCH_GATEWAY_PORT: String(GATEWAY_PORT),
  });
  if (containers) {
    ensureNetwork();
    for (const service of SERVICES) build(service);
    mkdirSync(dataDir, { recursive: true });
    // The data is the services' own, whoever wrote it last (the processes of this cluster run as root).
    if (spawnSync('chown', ['-R', `${SERVICE_UID}:${SERVICE_UID}`, dataDir]).status !== 0)
      throw new Error(`could not give ${dataDir} to the services' user ${SERVICE_UID}`);
    const servers = { etcd: etcd.containerUrl, kafka: kafka.containerBroker };
    const peerUrl = (peer) => `http://${containerOf(peer)}:${TOPOLOGY[peer].port}`;
    for (const service of SERVICES) {
      if (containerUp(service)) continue;
      if (containerUp(service, true)) podman(['rm', containerOf(service)], { quiet: true });
      log(`starting ${service} in its container on ${url(service)}`);
      podman(
        serviceRunArgs({
          service,
          image: imageOf(service),
          name: containerOf(service),
          alias: service,
          ports: [TOPOLOGY[service].port, ...(service === 'api-gateway' ? [GATEWAY_PORT] : [])],
          env: settings(service, servers, peerUrl),
          volumes: [dataDir],
          detach: true,
        }),
        { quiet: true },
      );
    }
  } else {
    for (const service of SERVICES) {
      if (daemons[service].alive()) continue;
      log(`starting ${service} on ${url(service)}`);
      daemons[service].start(process.execPath, [join(ROOT, 'apps', service, 'dist/main.js')], {
        cwd: ROOT,
        env: { ...process.env, ...settings(service, { etcd: etcdUrl, kafka: brokers }, url) },
      });
    }
  }
  for (const service of SERVICES)
    await waitFor(
      service,
      async () => (await fetch(`${url(service)}/readyz`)).ok,
      90_000,
      // A container that ended is there still, with what it printed.
      containers
        ? { alive: () => containerUp(service), logFile: `\`podman logs ${containerOf(service)}\`` }
        : daemons[service],
    );
  const { command, args } = prepare({
    dir: join(home, 'ingress'),
    port,
    services: Object.fromEntries(SERVICES.map((s) => [s, url(s)])),
    endpoints: `http://127.0.0.1:${GATEWAY_PORT}`,
  });
  nginx.start(command, args);
  await waitFor('the ingress', async () => (await fetch(`${ingress}/v1/version`)).ok, 30_000, nginx);
  await bootstrapAdmin(bootstrap.privateKey);
  log(`Dispatch (distributed) answers on ${ingress}; CLI context "cluster" in ${cliConfig}`);
  return ingress;
}

/**
 * The first administrator of a fresh cluster, made with the bootstrap key, and the CLI context that
 * uses it. A cluster bootstrapped before keeps its administrator: whether it has one is asked of the
 * installation itself, not of a key file that may have outlived its data.
 */
async function bootstrapAdmin(bootstrapKey) {
  if (!(await adminWorks())) {
    rmSync(keys.admin, { force: true });
    const token = await sign('bootstrap', bootstrapKey);
    const boot = new DispatchClient({ baseUrl: ingress, token });
    const admin = keyPair(keys.admin);
    try {
      await boot.organizations.create({ name: 'default' }).catch(ignoreExisting);
      await boot.serviceAccounts.create({ name: 'admin', publicKey: admin.publicPem }).catch(ignoreExisting);
      await boot.policies
        .create({
          name: 'admin',
          global: true,
          rules: [{ subjects: ['default/admin'], resources: ['*'], actions: ['*'] }],
        })
        .catch(ignoreExisting);
    } catch (err) {
      throw new Error(
        `the cluster's data was bootstrapped with an administrator key that is gone (${err.message}): ` +
          '`node tools/cluster.js start --fresh` starts a new installation',
      );
    }
  }
  saveCliContext(cliConfig, 'cluster', {
    host: '127.0.0.1',
    port,
    scheme: 'http',
    organization: 'default',
    project: 'default',
    serviceAccount: 'default/admin',
    jwtPrivateKey: keys.admin,
  });
}

/** Whether the installation takes the administrator's key (it has the account and its policy). */
async function adminWorks() {
  if (!existsSync(keys.admin)) return false;
  const token = await sign('default/admin', keyPair(keys.admin).privateKey);
  const res = await fetch(`${ingress}/v1/iam/auth`, { headers: { authorization: `Bearer ${token}` } });
  return res.ok;
}

const ignoreExisting = (err) => {
  if (err.code !== 'ALREADY_EXISTS') throw err;
};

const sign = (issuer, key) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);

export async function stop() {
  await nginx.stop();
  for (const service of [...SERVICES].reverse()) await daemons[service].stop();
  const there = SERVICES.filter((service) => containerUp(service, true)).map(containerOf);
  // As a kubelet stops pods: SIGTERM, then SIGKILL after the grace period.
  if (there.length) podman(['rm', '--force', '--time', '20', ...there], { quiet: true, check: false });
  await kafka.stop();
  await etcd.stop();
  log('the cluster is stopped');
}

export function status() {
  return [
    etcd.status(),
    kafka.status(),
    ...SERVICES.map((s) => {
      if (daemons[s].alive()) return `${s}: running on ${url(s)} (pid ${daemons[s].pid()})`;
      if (containerUp(s)) return `${s}: running in container ${containerOf(s)} on ${url(s)}`;
      return `${s}: not running`;
    }),
    `ingress: ${nginx.alive() ? `running on ${ingress}` : 'not running'}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await cli({
    start: () =>
      start({ fresh: process.argv.includes('--fresh'), containers: process.argv.includes('--containers') }),
    stop,
    status,
  });
