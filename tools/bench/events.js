// Events end to end: emit -> subscription -> run, with a function that reports back to this process
// the moment it runs, so emit-to-run latency is measured where it starts and ends. Once in solo (the
// in-process bus) and once with the images, functions and events services on etcd and Kafka.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DispatchClient, packSource } from '@dispatch/api-client';
import { startDistributed, startNode } from './installation.js';
import { soloAdminToken } from './credentials.js';
import { ROOT } from '../lib/daemon.js';
import { now, summarise } from './stats.js';

const LATENCY_SAMPLES = 200;
const BURST = 2000;
const EMITTERS = 16;

/** Records when each event's run reported in, and lets the bench wait for one. */
function startCallbackServer() {
  const arrived = new Map();
  const waiters = new Map();
  const server = createServer((req, res) => {
    const id = decodeURIComponent((req.url ?? '/').slice(1));
    const t = now();
    arrived.set(id, t);
    waiters.get(id)?.(t);
    waiters.delete(id);
    res.end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        arrived,
        when: (id) =>
          arrived.has(id) ? Promise.resolve(arrived.get(id)) : new Promise((r) => waiters.set(id, r)),
        close: () => new Promise((r) => server.close(r)),
      }),
    ),
  );
}

const reporter = (port) => `const http = require('http');
const agent = new http.Agent({ keepAlive: true });
module.exports = (context) => new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port: ${port}, agent, method: 'POST', path: '/' + encodeURIComponent(context.event.eventID) }, (res) => { res.resume(); res.on('end', () => resolve(null)); });
  req.on('error', reject);
  req.end();
});
`;

async function until(what, probe) {
  for (let i = 0; i < 600; i += 1) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not happen`);
}

/** Image, function and subscription, through the clients of whichever services own them. */
async function setUp({ images, functions, events }, work, port) {
  await images.baseImages.create({
    name: 'nodejs-base',
    imageURL: 'dispatchframework/nodejs-base',
    language: 'nodejs',
  });
  await images.images.create({ name: 'nodejs', baseImage: 'nodejs-base' });
  await until('the nodejs image', async () => (await images.images.get('nodejs')).status === 'READY');
  writeFileSync(join(work, 'report.js'), reporter(port));
  await functions.functions.create({
    name: 'report',
    image: 'nodejs',
    source: await packSource(join(work, 'report.js')),
  });
  await until('the function', async () => (await functions.functions.get('report')).status === 'READY');
  await events.subscriptions.create({ name: 'bench', eventType: 'bench.event', function: 'report' });
  await until('the subscription', async () => (await events.subscriptions.get('bench')).status === 'READY');
}

async function measureEvents(events, callbacks) {
  const emit = (id) =>
    events.emit({ specversion: '1.0', type: 'bench.event', source: 'bench', id, data: {} });
  // Warm: the runner's process, the consumer, the connections.
  for (let i = 0; i < 50; i += 1) {
    await emit(`warm-${i}`);
    await callbacks.when(`warm-${i}`);
  }
  const samples = [];
  const emits = [];
  for (let i = 0; i < LATENCY_SAMPLES; i += 1) {
    const id = `one-${i}`;
    const t = now();
    await emit(id);
    emits.push(now() - t);
    samples.push((await callbacks.when(id)) - t);
  }
  const started = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: EMITTERS }, async () => {
      for (let i = next++; i < BURST; i = next++) await emit(`burst-${i}`);
    }),
  );
  const emittedMs = now() - started;
  await Promise.all(Array.from({ length: BURST }, (_, i) => callbacks.when(`burst-${i}`)));
  const ranMs = now() - started;
  return {
    emit_to_run: summarise(samples),
    // The emit call alone: accepted by the bus (Kafka: acknowledged by the broker).
    emit_accepted: summarise(emits),
    sustained: {
      events: BURST,
      emitted_per_s: Math.round((BURST / emittedMs) * 1000),
      run_per_s: Math.round((BURST / ranMs) * 1000),
    },
  };
}

export async function benchEventsSolo() {
  const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-events-'));
  const callbacks = await startCallbackServer();
  const { child, match } = await startNode(
    join(ROOT, 'apps/solo/dist/main.js'),
    ['--port', '0', '--data-dir', join(work, 'data'), '--gateway-port', '0', '--gateway-tls-port', '0'],
    { DISPATCH_CONFIG: join(work, 'config.json') },
    /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*local administrator/,
  );
  try {
    const client = new DispatchClient({
      baseUrl: `http://127.0.0.1:${match[1]}`,
      token: await soloAdminToken(join(work, 'data')),
    });
    await setUp({ images: client, functions: client, events: client }, work, callbacks.port);
    return await measureEvents(client, callbacks);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await callbacks.close();
    rmSync(work, { recursive: true, force: true });
  }
}

export async function benchEventsKafka(servers) {
  const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-events-'));
  const callbacks = await startCallbackServer();
  let installation;
  try {
    installation = await startDistributed(work, servers, ['images', 'functions', 'events']);
    const { clients } = installation;
    await setUp(clients, work, callbacks.port);
    return await measureEvents(clients.events, callbacks);
  } finally {
    await installation?.stop();
    await callbacks.close();
    rmSync(work, { recursive: true, force: true });
  }
}
