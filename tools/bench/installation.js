// Processes of Dispatch for the benchmarks: solo, or the distributed services on etcd, Kafka and
// PostgreSQL as a fresh installation of their own (an etcd namespace, a schema, an org), bootstrapped as
// an operator would, optionally behind nginx as the ingress.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DispatchClient } from '@dispatch/api-client';
import { ROOT } from '../lib/daemon.js';
import { prepare as prepareJaeger } from '../jaeger.js';
import { prepare } from '../nginx.js';
import { bootstrapAdmin, bootstrapKeys, soloAdminToken } from './credentials.js';

/** Starts a node program and resolves once what it printed matches `ready`. */
export function startNode(file, args, env, ready) {
  const child = spawn(process.execPath, [file, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const seen = (d) => {
      output += d.toString();
      const match = ready.exec(output);
      if (match) resolve({ child, match });
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${output.slice(-2000)}`)));
  });
}

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function stopAll(children) {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode === null ? c.once('exit', r) : r()))));
}

/** How much CPU a process has used so far, in milliseconds (user and system, from /proc). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, fields 14 and 15 of stat (11 and 12 after the command), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Solo in `work`: its API, the gateway's endpoints and the local administrator's token. */
export async function startSolo(work, env = {}) {
  const { child, match } = await startNode(
    join(ROOT, 'apps/solo/dist/main.js'),
    ['--port', '0', '--data-dir', join(work, 'data'), '--gateway-port', '0', '--gateway-tls-port', '0'],
    { DISPATCH_CONFIG: join(work, 'config.json'), ...env },
    /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Endpoints are served on (\S+)[\s\S]*local administrator/,
  );
  const token = await soloAdminToken(join(work, 'data'));
  const api = match[1];
  return {
    pid: child.pid,
    api,
    gateway: match[2],
    token,
    client: new DispatchClient({ baseUrl: api, token }),
    stop: () => stopAll([child]),
  };
}

/**
 * The given services (identity always) as processes on etcd, Kafka and PostgreSQL, with `ingress`
 * nginx in front of them as the chart's Ingress would be. Gives each service's URL and pid, the
 * gateway's endpoints port, a client per service as the org's administrator, and stop().
 */
export async function startDistributed(work, { etcd, kafka, postgres }, services, { ingress = false } = {}) {
  const org = `bench-${Date.now()}`;
  const all = ['identity', ...services.filter((s) => s !== 'identity')];
  const ports = Object.fromEntries(await Promise.all(all.map(async (s) => [s, await freePort()])));
  const gatewayPort = await freePort();
  const urls = Object.fromEntries(all.map((s) => [s, `http://127.0.0.1:${ports[s]}`]));
  const bootstrap = bootstrapKeys();
  const children = [];
  const pids = {};
  try {
    for (const service of all) {
      const { child } = await startNode(
        join(ROOT, 'apps', service, 'dist/main.js'),
        [],
        {
          DISPATCH_PORT: String(ports[service]),
          DISPATCH_ETCD_ENDPOINTS: etcd,
          DISPATCH_ETCD_NAMESPACE: `/${org}/`,
          DISPATCH_BOOTSTRAP_PUBLIC_KEY: bootstrap.publicKey,
          DISPATCH_KAFKA_BROKERS: kafka,
          DISPATCH_POSTGRES_URL: postgres,
          DISPATCH_POSTGRES_SCHEMA: org.replaceAll('-', '_'),
          DISPATCH_DATA_DIR: join(work, 'data'),
          DISPATCH_FUNCTIONS_URL: urls.functions ?? 'http://127.0.0.1:1',
          DISPATCH_SECRETS_URL: urls.secrets ?? 'http://127.0.0.1:1',
          DISPATCH_GATEWAY_PORT: String(gatewayPort),
          DISPATCH_GATEWAY_TLS_PORT: '0',
        },
        /listening on/,
      );
      children.push(child);
      pids[service] = child.pid;
    }
    let ingressUrl;
    if (ingress) {
      const port = await freePort();
      const { command, args } = prepare({
        dir: join(work, 'ingress'),
        port,
        services: urls,
        endpoints: `http://127.0.0.1:${gatewayPort}`,
      });
      const nginx = spawn(command, args, { stdio: 'ignore' });
      children.push(nginx);
      pids.ingress = nginx.pid;
      ingressUrl = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 100; i += 1) {
        if (
          await fetch(`${ingressUrl}/v1/version`).then(
            (r) => r.ok,
            () => false,
          )
        )
          break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const token = await bootstrapAdmin(urls.identity, org, bootstrap.privateKey);
    const client = (service) => new DispatchClient({ baseUrl: urls[service], org, token });
    return {
      org,
      token,
      urls,
      pids,
      gateway: `http://127.0.0.1:${gatewayPort}`,
      ingress: ingressUrl,
      clients: Object.fromEntries(all.map((s) => [s, client(s)])),
      stop: () => stopAll(children),
    };
  } catch (err) {
    await stopAll(children);
    throw err;
  }
}

/**
 * A Jaeger (tools/jaeger.js) on loopback, receiving the spans of a traced solo: what tracing on costs
 * is measured against a real receiver. Gives its OTLP endpoint and stop().
 */
export async function startJaeger(work) {
  const [otlpPort, queryPort] = [await freePort(), await freePort()];
  const { command, args } = prepareJaeger({ dir: work, host: '127.0.0.1', otlpPort, queryPort });
  const child = spawn(command, args, { stdio: 'ignore' });
  for (let i = 0; i < 100; i += 1) {
    const up = await fetch(`http://127.0.0.1:${queryPort}/api/services`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { pid: child.pid, otlp: `http://127.0.0.1:${otlpPort}`, stop: () => stopAll([child]) };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('Jaeger did not answer within 10 s');
}
