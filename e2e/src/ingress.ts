import { execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT, start, waitForHttp, type Started } from './processes.js';

/**
 * nginx as the ingress (tools/nginx.js), on a free loopback port with its files under `dir`: each
 * service's paths to its URLs (replicas share the calls), every other path to `endpoints` when given.
 * Resolves once the API's version answers through it. With `tls`, it serves HTTPS too (`tlsUrl`), with
 * a self-signed certificate, ending TLS as an Ingress does. In front of Kubernetes Services, no
 * `keepalive` (see tools/nginx.js). A `detached` nginx outlives this test file
 * (output to DIR/nginx.log; stop it by the pid in DIR/nginx.pid).
 */
export async function startIngress(
  dir: string,
  services: Record<string, string[]>,
  endpoints?: string,
  {
    detached = false,
    tls = false,
    keepalive = true,
  }: { detached?: boolean; tls?: boolean; keepalive?: boolean } = {},
): Promise<{ url: string; port: number; tlsUrl?: string; nginx: Started }> {
  const port = await freePort();
  const tlsPort = tls ? await freePort() : undefined;
  const { command, args } = JSON.parse(
    execFileSync(process.execPath, [
      join(ROOT, 'tools/nginx.js'),
      'prepare',
      ...(keepalive ? [] : ['--no-keepalive']),
      dir,
      String(port),
      JSON.stringify(services),
      endpoints ?? '',
      ...(tlsPort ? [String(tlsPort)] : []),
    ]).toString(),
  ) as { command: string; args: string[] };
  const nginx = detached ? startDetached(command, args, join(dir, 'nginx.log')) : start(command, args);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/v1/version`, nginx, 200, 60_000);
  } catch (err) {
    await nginx.stop();
    throw err;
  }
  return { url, port, nginx, tlsUrl: tlsPort ? `https://127.0.0.1:${tlsPort}` : undefined };
}

/**
 * The ingress controller of an installation on the Kubernetes node (tools/k8s.js ingress: Traefik,
 * serving the chart's Ingress of IngressClass `release`), on free loopback ports with its files
 * under `dir`, HTTPS too with a self-signed certificate. Resolves once the API's version answers
 * through it, that is once it has read the Ingress. A `detached` one outlives this test file (output
 * to DIR/ingress.log; stop it by the pid in DIR/ingress.pid).
 */
export async function startKubernetesIngress(
  dir: string,
  release: string,
  { detached = false }: { detached?: boolean } = {},
): Promise<{ port: number; tlsUrl: string; controller: Started }> {
  const port = await freePort();
  const tlsPort = await freePort();
  const { command, args, env } = JSON.parse(
    execFileSync(process.execPath, [
      join(ROOT, 'tools/k8s.js'),
      'ingress',
      dir,
      release,
      String(port),
      String(tlsPort),
    ]).toString(),
  ) as { command: string; args: string[]; env: Record<string, string> };
  const controller = detached
    ? startDetached(command, args, join(dir, 'ingress.log'), env)
    : start(command, args, env);
  if (detached) writeFileSync(join(dir, 'ingress.pid'), String(controller.child.pid));
  try {
    await waitForHttp(`http://127.0.0.1:${port}/v1/version`, controller, 200, 90_000);
  } catch (err) {
    await controller.stop();
    throw err;
  }
  return { port, controller, tlsUrl: `https://127.0.0.1:${tlsPort}` };
}

/** A process that is no child of this test file's: its output goes to `log`. */
function startDetached(command: string, args: string[], log: string, env: NodeJS.ProcessEnv = {}): Started {
  const out = openSync(log, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', out, out],
    detached: true,
    env: { ...process.env, ...env },
  });
  child.unref();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => readFileSync(log, 'utf8'),
    exited,
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      return exited;
    },
  };
}
