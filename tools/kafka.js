#!/usr/bin/env node
// Apache Kafka for development and tests: a single KRaft broker (no ZooKeeper, no Docker) run with the
// machine's Java 17 from the org.apache.kafka:kafka_2.13 jars, which Maven copies from Maven Central
// into .cache/kafka/libs on first use (tools/kafka/pom.xml lists them).
// `node tools/kafka.js start|stop|restart|status`; KAFKA_PORT (default 9092) picks the broker port,
// the controller listens on the next one. KAFKA_KEEP_DATA=1 keeps the log across a restart (the local
// cluster keeps its own, in a directory of its own). `start --containers` also answers containers, on
// the host's address for them (tools/lib/containers.js), on the port after the controller's.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureHostAddress, HOST_ADDRESS } from './lib/containers.js';
import { CACHE, cli, Daemon, have, log, portOpen, ROOT, waitFor } from './lib/daemon.js';

const port = Number(process.env.KAFKA_PORT ?? 9092);
const controllerPort = port + 1;
const broker = `127.0.0.1:${port}`;
/** The broker as containers reach it, when started for them: a listener of its own, which advertises it. */
export const containerBroker = `${HOST_ADDRESS.address}:${port + 2}`;
const daemon = new Daemon(`kafka-${port}`);
const home = join(CACHE, 'kafka');
const libs = join(home, 'libs');
const pom = join(ROOT, 'tools', 'kafka', 'pom.xml');

function fetchJars() {
  const marker = join(libs, '.pom');
  const wanted = readFileSync(pom, 'utf8');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return;
  if (!have('java'))
    throw new Error('java is missing: Kafka needs Java 17 (apt-get install openjdk-17-jre-headless)');
  if (!have('mvn'))
    throw new Error('mvn is missing: the Kafka jars are fetched with Maven (apt-get install maven)');
  log('fetching the Kafka broker jars from Maven Central (once)');
  rmSync(libs, { recursive: true, force: true });
  const res = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libs}`,
      '-DincludeScope=runtime',
    ],
    { stdio: 'inherit' },
  );
  if (res.status !== 0) throw new Error('Maven could not fetch the Kafka jars; see its output above');
  writeFileSync(marker, wanted);
}

function java(args, options = {}) {
  return [
    '-Xms256m',
    '-Xmx768m',
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${join(home, 'log4j.properties')}`,
    '-cp',
    `${libs}/*`,
    ...args,
  ];
}

function writeConfig(dataDir, containers) {
  const config = join(home, `server-${port}.properties`);
  // A client is sent the addresses of the listener it connected to: containers get theirs.
  const forContainers = containers ? [`CONTAINERS://${containerBroker}`] : [];
  writeFileSync(
    config,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=${[`PLAINTEXT://${broker}`, `CONTROLLER://127.0.0.1:${controllerPort}`, ...forContainers]}`,
      `advertised.listeners=${[`PLAINTEXT://${broker}`, ...forContainers]}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,CONTAINERS:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${dataDir}`,
      'num.partitions=3',
      'auto.create.topics.enable=true',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'log.retention.hours=24',
      'log.segment.bytes=67108864',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(home, 'log4j.properties'),
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.logger.kafka.server.KafkaServer=INFO',
      'log4j.logger.kafka.server.KafkaRaftServer=INFO',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      '',
    ].join('\n'),
  );
  return config;
}

/**
 * `dataDir` holds the broker's log; `keep` starts from what it holds rather than from nothing;
 * `containers` also listens on the host's address for containers.
 */
export async function start({
  dataDir = join(home, `data-${port}`),
  keep: keepWanted = process.env.KAFKA_KEEP_DATA === '1',
  containers = false,
} = {}) {
  if (daemon.alive()) {
    if (containers && !(await servesContainers()))
      throw new Error(
        'Kafka is running without a listener for containers: `node tools/kafka.js restart --containers`',
      );
    return broker;
  }
  fetchJars();
  if (containers) ensureHostAddress();
  const keep = keepWanted && existsSync(join(dataDir, 'meta.properties'));
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const config = writeConfig(dataDir, containers);
  if (!keep) {
    const format = spawnSync(
      'java',
      java([
        'kafka.tools.StorageTool',
        'format',
        '-t',
        randomUUID().replace(/-/g, '').slice(0, 22),
        '-c',
        config,
      ]),
      {
        encoding: 'utf8',
      },
    );
    if (format.status !== 0)
      throw new Error(`formatting the Kafka log failed: ${format.stderr || format.stdout}`);
  }
  log(`starting Kafka on ${broker}`);
  daemon.start('java', java(['kafka.Kafka', config]), { cwd: home });
  await waitFor('Kafka', () => ready(), 90_000, daemon);
  log(`Kafka listening on ${broker}`);
  return broker;
}

/**
 * The broker answers metadata requests once its controller has elected itself, and consumer groups
 * work once the offsets topic exists and its coordinator has loaded it. That second step happens on
 * the first group call and can take many seconds on a busy machine, so it is paid here rather than by
 * whichever test subscribes first.
 */
async function ready() {
  if (!(await portOpen(port))) return false;
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const admin = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) return false;
    await admin.fetchOffsets({ groupId: 'dispatch-tools-ready', topics: [] });
    return true;
  } finally {
    await admin.disconnect();
  }
}

export function running() {
  return daemon.alive();
}

export async function stop() {
  if (await daemon.stop(30_000)) log(`Kafka on ${broker} stopped`);
}

export function status() {
  return daemon.alive() ? `Kafka running on ${broker} (pid ${daemon.pid()})` : 'Kafka not running';
}

/** Whether the running broker answers containers too (a restart keeps what it had). */
async function servesContainers() {
  const [host, containerPort] = containerBroker.split(':');
  return daemon.alive() && (await portOpen(Number(containerPort), host));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const containers =
    process.argv.includes('--containers') || (process.argv[2] === 'restart' && (await servesContainers()));
  await cli({ start: () => start({ containers }), stop, status });
}
