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
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GATEWAY_PORTS, localServiceUrl, peerUrlVariable, SERVICES, TOPOLOGY } from '@dispatch/contracts';
import * as etcd from './etcd.js';
import { build, imageOf } from './images.js';
import * as kafka from './kafka.js';
import * as postgres from './postgres.js';
import { bootstrapAdmin, CLI_CONFIG, keyPair } from './lib/bootstrap.js';
import { ensureNetwork, podman, serviceRunArgs } from './lib/containers.js';
import { CACHE, cli, Daemon, log, ROOT, waitFor } from './lib/daemon.js';
import { prepare } from './nginx.js';

const port = Number(process.env.DISPATCH_CLUSTER_PORT ?? 8090);
const ingress = `http://127.0.0.1:${port}`;
const home = join(CACHE, 'cluster');
const daemons = Object.fromEntries(SERVICES.map((s) => [s, new Daemon(`cluster-${s}`)]));
const nginx = new Daemon('cluster-nginx');
const keys = { bootstrap: join(home, 'bootstrap.key'), admin: join(home, 'admin.key') };

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
  const database = await postgres.start({ dataDir: join(home, 'postgres'), keep: true, containers });
  const bootstrap = keyPair(keys.bootstrap);
  const dataDir = join(home, 'data');
  const settings = (service, servers, peerUrl) => ({
    DISPATCH_PORT: String(TOPOLOGY[service].port),
    DISPATCH_ETCD_ENDPOINTS: servers.etcd,
    DISPATCH_KAFKA_BROKERS: servers.kafka,
    DISPATCH_POSTGRES_URL: servers.postgres,
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
    const servers = {
      etcd: etcd.containerUrl,
      kafka: kafka.containerBroker,
      postgres: postgres.containerUrl,
    };
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
        env: {
          ...process.env,
          ...settings(service, { etcd: etcdUrl, kafka: brokers, postgres: database }, url),
        },
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
  await bootstrapAdmin({
    api: ingress,
    port,
    bootstrapKey: bootstrap.privateKey,
    adminKey: keys.admin,
    context: 'cluster',
    fresh: '`node tools/cluster.js start --fresh` starts a new installation',
  });
  log(`Dispatch (distributed) answers on ${ingress}; CLI context "cluster" in ${CLI_CONFIG}`);
  return ingress;
}

export async function stop() {
  await nginx.stop();
  for (const service of [...SERVICES].reverse()) await daemons[service].stop();
  const there = SERVICES.filter((service) => containerUp(service, true)).map(containerOf);
  // As a kubelet stops pods: SIGTERM, then SIGKILL after the grace period.
  if (there.length) podman(['rm', '--force', '--time', '20', ...there], { quiet: true, check: false });
  await postgres.stop();
  await kafka.stop();
  await etcd.stop();
  log('the cluster is stopped');
}

export function status() {
  return [
    etcd.status(),
    kafka.status(),
    postgres.status(),
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
