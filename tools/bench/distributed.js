// The distributed shape against solo on the same machine, measured with wrk in interleaved rounds: the
// same hello function behind an endpoint, called through solo's gateway, the distributed gateway's own
// port and the ingress (nginx) in front of it, and through `/v1/runs` of each; then one call at a time.
// While the distributed gateway is under load, the CPU each other process used: etcd's (no run may
// write to it) and that of the services with no part in the call. A second solo with its metrics off
// (DISPATCH_METRICS=off) takes part in the same rounds, for what counting every call costs, and a third
// with tracing on (every call sampled, its spans sent to a Jaeger on this machine), for what tracing costs.
//
// Under load is 16 connections, as the other suites; at 16 the distributed shape is bound by the wake-ups
// of its four processes in a row, not by CPU (a quarter of the machine stays idle), so the endpoint
// paths are also measured saturated, at 64 connections, where both shapes give what they can.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packSource } from '@dispatch/api-client';
import { cpuMs, startDistributed, startJaeger, startSolo } from './installation.js';
import { wrk } from './wrk.js';

const HANDLER =
  'module.exports = function (context, params) { return { myField: "Hello, " + params.name + " from " + params.place }; };\n';
const INPUT = { name: 'Jon', place: 'Winterfell' };
const ROUNDS = 3;
const SECONDS = 6;
const SATURATING_CONNECTIONS = 64;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Per target, the medians of its wrk rounds. */
const summarised = (rounds) =>
  Object.fromEntries(
    Object.entries(rounds).map(([name, samples]) => [
      name,
      {
        requests_per_s: median(samples.map((s) => s.requests_per_s)),
        p50_ms: median(samples.map((s) => s.p50_ms)),
        p99_ms: median(samples.map((s) => s.p99_ms)),
        rounds: samples.map((s) => s.requests_per_s),
        errors: samples.reduce((sum, s) => sum + s.errors, 0),
      },
    ]),
  );

/** The hello function on the nodejs image behind POST /hello, READY, through these clients. */
async function deploy({ images, functions, endpoints }, source) {
  await images.baseImages.create({
    name: 'node-base',
    imageURL: 'dispatchframework/nodejs-base',
    language: 'nodejs',
  });
  await images.images.create({ name: 'nodejs', baseImage: 'node-base' });
  while ((await images.images.get('nodejs')).status !== 'READY') await new Promise((r) => setTimeout(r, 50));
  await functions.functions.create({ name: 'hello', image: 'nodejs', source });
  while ((await functions.functions.get('hello')).status !== 'READY')
    await new Promise((r) => setTimeout(r, 50));
  await endpoints.endpoints.create({ name: 'hello', function: 'hello', uris: ['/hello'], methods: ['POST'] });
}

/** Until the endpoint answers (the gateway learns of it from a watch). */
async function answering(url) {
  let last = 'no answer';
  for (let i = 0; i < 200; i += 1) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(INPUT),
    }).catch((err) => err);
    if (res.ok) return;
    last = res instanceof Error ? res.message : `HTTP ${res.status}: ${await res.text()}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} never answered (${last})`);
}

/** Per-process CPU over a load, in percent of one core. */
function cpuDuring(pids, load) {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const started = Date.now();
  const result = load();
  const elapsed = Date.now() - started;
  const cpu = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [
      name,
      Math.round(((cpuMs(pid) - before[name]) / elapsed) * 100),
    ]),
  );
  return { result, cpu_percent_of_a_core: cpu };
}

export async function benchDistributed(servers, etcdPid) {
  const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-dist-'));
  writeFileSync(join(work, 'hello.js'), HANDLER);
  const source = await packSource(join(work, 'hello.js'));
  const solo = await startSolo(join(work, 'solo'));
  // The same solo with Prometheus metrics off: what counting every call costs.
  const soloOff = await startSolo(join(work, 'solo-metrics-off'), { DISPATCH_METRICS: 'off' });
  // The same solo tracing every call to a real receiver (which shares this machine's cores).
  const jaeger = await startJaeger(join(work, 'jaeger'));
  const soloTraced = await startSolo(join(work, 'solo-traced'), { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlp });
  let dist;
  try {
    dist = await startDistributed(join(work, 'dist'), servers, ['images', 'functions', 'api-gateway'], {
      ingress: true,
    });
    await deploy({ images: solo.client, functions: solo.client, endpoints: solo.client }, source);
    await deploy({ images: soloOff.client, functions: soloOff.client, endpoints: soloOff.client }, source);
    await deploy(
      { images: soloTraced.client, functions: soloTraced.client, endpoints: soloTraced.client },
      source,
    );
    await deploy(
      {
        images: dist.clients.images,
        functions: dist.clients.functions,
        endpoints: dist.clients['api-gateway'],
      },
      source,
    );
    const targets = {
      solo_gateway: { url: `${solo.gateway}/hello`, body: INPUT },
      // An org's endpoints are served under its /<org>/ prefix (solo's default org at the root).
      distributed_gateway_port: { url: `${dist.gateway}/${dist.org}/hello`, body: INPUT },
      distributed_ingress: { url: `${dist.ingress}/${dist.org}/hello`, body: INPUT },
      solo_runs: {
        url: `${solo.api}/v1/runs`,
        body: { functionName: 'hello', blocking: true, input: INPUT },
        headers: { authorization: `Bearer ${solo.token}` },
      },
      distributed_runs: {
        url: `${dist.urls.functions}/v1/runs`,
        body: { functionName: 'hello', blocking: true, input: INPUT },
        headers: { authorization: `Bearer ${dist.token}`, 'x-dispatch-org': dist.org },
      },
      solo_gateway_metrics_off: { url: `${soloOff.gateway}/hello`, body: INPUT },
      solo_runs_metrics_off: {
        url: `${soloOff.api}/v1/runs`,
        body: { functionName: 'hello', blocking: true, input: INPUT },
        headers: { authorization: `Bearer ${soloOff.token}` },
      },
      solo_gateway_traced: { url: `${soloTraced.gateway}/hello`, body: INPUT },
      solo_runs_traced: {
        url: `${soloTraced.api}/v1/runs`,
        body: { functionName: 'hello', blocking: true, input: INPUT },
        headers: { authorization: `Bearer ${soloTraced.token}` },
      },
    };
    for (const url of [
      targets.solo_gateway_traced.url,
      targets.solo_gateway_metrics_off.url,
      targets.solo_gateway.url,
      targets.distributed_gateway_port.url,
      targets.distributed_ingress.url,
    ])
      await answering(url);
    // Warm every path (JIT, pools, connections) before anything counts.
    for (const t of Object.values(targets)) wrk(t.url, { ...t, seconds: 2 });

    const rounds = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
    const idle = { etcd: etcdPid, identity: dist.pids.identity, images: dist.pids.images };
    const cpu = [];
    const tracedCpu = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, t] of Object.entries(targets)) {
        if (name === 'solo_gateway_traced') {
          // The receiver's share of the machine while the traced solo is under load.
          const measured = cpuDuring({ jaeger: jaeger.pid, solo: soloTraced.pid }, () =>
            wrk(t.url, { ...t, seconds: SECONDS }),
          );
          rounds[name].push(measured.result);
          tracedCpu.push(measured.cpu_percent_of_a_core);
          continue;
        }
        if (name !== 'distributed_gateway_port') {
          rounds[name].push(wrk(t.url, { ...t, seconds: SECONDS }));
          continue;
        }
        const measured = cpuDuring(
          { ...idle, gateway: dist.pids['api-gateway'], functions: dist.pids.functions },
          () => wrk(t.url, { ...t, seconds: SECONDS }),
        );
        rounds[name].push(measured.result);
        cpu.push(measured.cpu_percent_of_a_core);
      }
    }
    const under_load = summarised(rounds);
    const saturatedRounds = { solo_gateway: [], distributed_gateway_port: [], distributed_ingress: [] };
    for (let round = 0; round < ROUNDS; round += 1)
      for (const name of Object.keys(saturatedRounds))
        saturatedRounds[name].push(
          wrk(targets[name].url, { ...targets[name], connections: SATURATING_CONNECTIONS, seconds: SECONDS }),
        );
    const saturated = summarised(saturatedRounds);
    const one_at_a_time = Object.fromEntries(
      ['solo_gateway', 'distributed_gateway_port', 'distributed_ingress'].map((name) => [
        name,
        { p50_ms: wrk(targets[name].url, { ...targets[name], connections: 1, seconds: 4 }).p50_ms },
      ]),
    );
    const ratio = (of, a, b) => Math.round((of[a].requests_per_s / of[b].requests_per_s) * 100) / 100;
    return {
      under_load,
      [`saturated_${SATURATING_CONNECTIONS}_connections`]: saturated,
      one_at_a_time,
      ratio_to_solo: {
        gateway_port: ratio(under_load, 'distributed_gateway_port', 'solo_gateway'),
        ingress: ratio(under_load, 'distributed_ingress', 'solo_gateway'),
        runs: ratio(under_load, 'distributed_runs', 'solo_runs'),
        gateway_port_saturated: ratio(saturated, 'distributed_gateway_port', 'solo_gateway'),
        ingress_saturated: ratio(saturated, 'distributed_ingress', 'solo_gateway'),
      },
      // Solo with metrics on against off, in the same interleaved rounds: 1 means they cost nothing
      // measurable. The other solos trace nothing (no OTLP endpoint): tracing off.
      metrics_on_to_off: {
        gateway: ratio(under_load, 'solo_gateway', 'solo_gateway_metrics_off'),
        runs: ratio(under_load, 'solo_runs', 'solo_runs_metrics_off'),
      },
      // Solo tracing every call against solo tracing none (both with metrics on).
      tracing_on_to_off: {
        gateway: ratio(under_load, 'solo_gateway_traced', 'solo_gateway'),
        runs: ratio(under_load, 'solo_runs_traced', 'solo_runs'),
        // Jaeger shares the two cores: what it took while the traced gateway was under load.
        cpu_percent_of_a_core: {
          jaeger: median(tracedCpu.map((c) => c.jaeger)),
          solo: median(tracedCpu.map((c) => c.solo)),
        },
      },
      // Median per process over the rounds of the distributed gateway's load.
      cpu_during_gateway_load: Object.fromEntries(
        Object.keys(cpu[0]).map((name) => [name, median(cpu.map((c) => c[name]))]),
      ),
    };
  } finally {
    await dist?.stop();
    await solo.stop();
    await soloOff.stop();
    await soloTraced.stop();
    await jaeger.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
