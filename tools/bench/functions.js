// Functions through the API of a real solo process: create -> READY, cold start per language, warm exec
// latency one at a time, and throughput under load against a bare node:http server running the same
// handler; then the same function behind an endpoint on the gateway (the ratio DESIGN.md targets).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { DispatchClient, packSource } from '@dispatch/api-client';
import { ROOT } from '../lib/daemon.js';
import { soloAdminToken } from './credentials.js';
import { measure, now, summarise } from './stats.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const HANDLER =
  'module.exports = function (context, params) { return { myField: "Hello, " + params.name + " from " + params.place }; };\n';
const INPUT = { name: 'Jon', place: 'Winterfell' };
const SOURCES = {
  nodejs: ['hello.js', HANDLER],
  python3: [
    'hello.py',
    'def handle(ctx, payload):\n    return {"myField": "Hello, %s from %s" % (payload["name"], payload["place"])}\n',
  ],
  java: [
    'Hello.java',
    'import java.util.Map;\nimport java.util.function.BiFunction;\npublic class Hello implements BiFunction<Map<String, Object>, Map<String, Object>, Map<String, Object>> {\n  public Map<String, Object> apply(Map<String, Object> c, Map<String, Object> p) { return Map.of("myField", "Hello, " + p.get("name") + " from " + p.get("place")); }\n}\n',
  ],
};

/** Starts a node program and resolves with what it printed once `ready` matches its output. */
function startProcess(file, args, ready = /\S/, env = {}) {
  const child = spawn(process.execPath, [file, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      output += d.toString();
      if (ready.test(output)) resolve({ child, line: output.trim() });
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

/** One request at a time over a kept-alive connection, as a client of an endpoint would call. */
function post(url, body, agent) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`${url}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function settled(client, name) {
  for (;;) {
    const fn = await client.functions.get(name);
    if (fn.status === 'READY') return fn;
    if (fn.status === 'ERROR') throw new Error(`${name}: ${fn.reason.join('; ')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function load(url, body, authorization) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
    body: JSON.stringify(body),
    connections: 32,
    duration: 8,
  });
  return {
    requests_per_s: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/**
 * `dispatch logs -f` as a person watches it: a follower on a function that prints a line, and for each
 * run the time from the exec's start to the run's line reaching the follower (the target: 100 ms p50).
 */
async function benchLiveLogs(client, work) {
  writeFileSync(
    join(work, 'talker.js'),
    "module.exports = (c, p) => { console.log('line ' + p.i); return p.i; };\n",
  );
  await client.functions.create({
    name: 'talker',
    image: 'nodejs',
    source: await packSource(join(work, 'talker.js')),
  });
  await settled(client, 'talker');
  await client.runFunction('talker', { input: { i: -1 } });
  const stop = new AbortController();
  // As `dispatch logs -f` follows: what runs print as they print it, then each run.
  const { events } = await client.followRuns('talker', stop.signal, { logs: true });
  const arrivals = events[Symbol.asyncIterator]();
  const samples = [];
  for (let i = 0; i < 300; i += 1) {
    const t = now();
    const exec = client.runFunction('talker', { input: { i } });
    const { value: first } = await arrivals.next();
    if (first?.log?.text !== `line ${i}\n`) throw new Error(`the follower got ${JSON.stringify(first)}`);
    samples.push(now() - t);
    const { value: last } = await arrivals.next();
    if (last?.run?.logs.stdout[0] !== `line ${i}`)
      throw new Error(`the follower got ${JSON.stringify(last)}`);
    await exec;
  }
  stop.abort();
  return { exec_to_line_seen: summarise(samples.slice(20)), target_p50_ms: 100 };
}

export async function benchFunctions() {
  const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-fn-'));
  const { child: solo, line } = await startProcess(
    join(ROOT, 'apps/solo/dist/main.js'),
    ['--port', '0', '--data-dir', join(work, 'data'), '--gateway-port', '0', '--gateway-tls-port', '0'],
    /Endpoints are served on (\S+)[\s\S]*local administrator/,
    { DISPATCH_CONFIG: join(work, 'config.json') },
  );
  const port = Number(/:(\d+) /.exec(line)?.[1]);
  const gateway = /Endpoints are served on (\S+)/.exec(line)?.[1];
  const token = await soloAdminToken(join(work, 'data'));
  const client = new DispatchClient({ baseUrl: `http://127.0.0.1:${port}`, token });
  const results = {};
  try {
    for (const language of Object.keys(SOURCES)) {
      await client.baseImages.create({
        name: `${language}-base`,
        imageURL: `dispatchframework/${language}-base`,
        language,
      });
      await client.images.create({ name: language, baseImage: `${language}-base` });
    }
    for (const language of Object.keys(SOURCES)) {
      for (;;) {
        const image = await client.images.get(language);
        if (image.status === 'READY') break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    // create -> READY, nodejs with no dependencies, ten functions one after another.
    const [file, text] = SOURCES.nodejs;
    writeFileSync(join(work, file), text);
    const source = await packSource(join(work, file));
    const ready = [];
    for (let i = 0; i < 10; i += 1) {
      const t = now();
      await client.functions.create({ name: `ready-${i}`, image: 'nodejs', source });
      await settled(client, `ready-${i}`);
      ready.push(now() - t);
    }
    results.create_to_ready_nodejs = summarise(ready);

    // Cold start: the first exec of a READY function, whose pool has no process yet.
    results.cold_start = {};
    for (const [language, [name, code]] of Object.entries(SOURCES)) {
      const dir = mkdtempSync(join(work, `${language}-`));
      writeFileSync(join(dir, name), code);
      const samples = [];
      for (let i = 0; i < 5; i += 1) {
        const fn = `cold-${language}-${i}`;
        await client.functions.create({
          name: fn,
          image: language,
          source: await packSource(join(dir, name)),
        });
        await settled(client, fn);
        await new Promise((r) => setTimeout(r, 300)); // let the spare runner refill
        const t = now();
        const run = await client.runFunction(fn, { input: INPUT });
        samples.push(now() - t);
        if (run.error) throw new Error(`${fn}: ${run.error.message}`);
      }
      results.cold_start[language] = summarise(samples);
    }

    // Warm exec through the API, one at a time.
    await client.functions.create({ name: 'warm', image: 'nodejs', source });
    await settled(client, 'warm');
    for (let i = 0; i < 50; i += 1) await client.runFunction('warm', { input: INPUT });
    results.warm_exec_api = await measure(1000, 1, () => client.runFunction('warm', { input: INPUT }));
    results.live_logs = await benchLiveLogs(client, work);

    // Throughput under load: the API against the bare server running the same handler in-process.
    const { child: bare, line: barePort } = await startProcess(join(HERE, 'bare-server.js'), [
      join(work, file),
    ]);
    const ratio = (a, b) => Math.round((a.requests_per_s / b.requests_per_s) * 1000) / 1000;
    try {
      // Every load runs twice and the second counts: the first warms the JIT of each runner process.
      const twice = async (url, body, authorization) => (
        await load(url, body, authorization),
        load(url, body, authorization)
      );
      const baseline = await twice(`http://127.0.0.1:${barePort}/`, { input: INPUT });
      const dispatch = await twice(
        `http://127.0.0.1:${port}/v1/runs?functionName=warm`,
        { input: INPUT, blocking: true },
        `Bearer ${token}`,
      );
      results.exec_under_load = {
        bare_node_http: baseline,
        dispatch_api: dispatch,
        throughput_ratio: ratio(dispatch, baseline),
      };

      // The gateway: an endpoint to the same function, the body its input, as DESIGN.md's target has it.
      await client.endpoints.create({ name: 'warm', function: 'warm', uris: ['/warm'], methods: ['POST'] });
      const url = `${gateway}/warm`;
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      for (let ok = false; !ok;)
        ok = await post(url, JSON.stringify(INPUT), agent).then(
          () => true,
          () => false,
        );
      for (let i = 0; i < 200; i += 1) await post(url, JSON.stringify(INPUT), agent);
      const oneAtATime = await measure(2000, 1, () => post(url, JSON.stringify(INPUT), agent));
      agent.destroy();
      const endpoint = await twice(url, INPUT);
      results.gateway = {
        one_at_a_time: oneAtATime,
        under_load: endpoint,
        bare_node_http: baseline,
        throughput_ratio: ratio(endpoint, baseline),
      };
    } finally {
      bare.kill();
    }
  } finally {
    solo.kill('SIGTERM');
    await new Promise((r) => solo.once('exit', r));
    rmSync(work, { recursive: true, force: true });
  }
  return results;
}
