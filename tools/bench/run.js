#!/usr/bin/env node
// `npm run bench`: measures Dispatch on this machine and prints one JSON report on stdout (progress on
// stderr). Starts etcd, Kafka and PostgreSQL through tools/ when they are not running, and stops what it started.
// `npm run bench -- store bus authz functions console events distributed` picks suites; no names runs them all.
// Figures are absolute numbers from one run on a shared machine: compare runs, not single samples.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { EmbeddedEntityStore, EtcdEntityStore } from '@dispatch/entity-store';
import { InProcessBus, KafkaBus } from '@dispatch/messaging';
import * as etcd from '../etcd.js';
import * as kafka from '../kafka.js';
import * as postgres from '../postgres.js';
import { log } from '../lib/daemon.js';
import { benchAuthz } from './authz.js';
import { benchBus } from './bus.js';
import { benchConsole } from './console.js';
import { benchEventsKafka, benchEventsSolo } from './events.js';
import { benchDistributed } from './distributed.js';
import { benchFunctions } from './functions.js';
import { benchStore } from './store.js';

const report = {
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  date: new Date().toISOString(),
  results: {},
};

const only = process.argv.slice(2);
const wanted = (suite) => only.length === 0 || only.includes(suite);

const started = [];
async function ensure(server) {
  if (!server.running()) started.push(server);
  return server.start();
}

try {
  if (wanted('store')) {
    const dataDir = mkdtempSync(join(tmpdir(), 'dispatch-bench-'));
    log('entity store: embedded');
    const embedded = await EmbeddedEntityStore.open({ dataDir });
    report.results['entity_store.embedded'] = await benchStore(embedded);
    await embedded.close();
    rmSync(dataDir, { recursive: true, force: true });

    log('entity store: etcd');
    const etcdStore = new EtcdEntityStore({
      endpoints: [process.env.ETCD_ENDPOINTS ?? (await ensure(etcd))],
    });
    report.results['entity_store.etcd'] = await benchStore(etcdStore);
    await etcdStore.close();
  }

  if (wanted('bus')) {
    log('bus: in-process');
    const inProcess = new InProcessBus();
    report.results['bus.in_process'] = await benchBus(inProcess);
    await inProcess.close();

    log('bus: kafka');
    const kafkaBus = new KafkaBus({
      brokers: [process.env.KAFKA_BROKERS ?? (await ensure(kafka))],
      clientId: 'bench',
    });
    report.results['bus.kafka'] = await benchBus(kafkaBus, { count: 1000 });
    await kafkaBus.close();
  }

  if (wanted('authz')) {
    log('authorisation: the guard on a warm exec');
    report.results['authz.guard'] = await benchAuthz();
  }

  if (wanted('functions')) {
    log('functions through the solo API');
    report.results['functions.solo'] = await benchFunctions();
  }

  if (wanted('console')) {
    log('console: first load in Chromium');
    report.results.console = await benchConsole();
  }

  if (wanted('events')) {
    log('events: solo, in-process bus');
    report.results['events.solo'] = await benchEventsSolo();
    log('events: services on etcd and Kafka');
    report.results['events.kafka'] = await benchEventsKafka({
      etcd: process.env.ETCD_ENDPOINTS ?? (await ensure(etcd)),
      kafka: process.env.KAFKA_BROKERS ?? (await ensure(kafka)),
      postgres: process.env.POSTGRES_URL ?? (await ensure(postgres)),
    });
  }

  if (wanted('distributed')) {
    log('distributed: the services behind nginx against solo, with wrk');
    const servers = {
      etcd: await ensure(etcd),
      kafka: await ensure(kafka),
      postgres: await ensure(postgres),
    };
    report.results.distributed = await benchDistributed(servers, etcd.pid());
  }

  console.log(JSON.stringify(report, null, 2));
} finally {
  for (const server of started.reverse()) await server.stop();
}
