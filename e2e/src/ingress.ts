import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort, ROOT, start, waitForHttp, type Started } from './processes.js';

/**
 * nginx as the ingress (tools/nginx.js), on a free loopback port with its files under `dir`: each
 * service's paths to its URLs (replicas share the calls), every other path to `endpoints` when given.
 * Resolves once the API's version answers through it.
 */
export async function startIngress(
  dir: string,
  services: Record<string, string[]>,
  endpoints?: string,
): Promise<{ url: string; port: number; nginx: Started }> {
  const port = await freePort();
  const { command, args } = JSON.parse(
    execFileSync(process.execPath, [
      join(ROOT, 'tools/nginx.js'),
      'prepare',
      dir,
      String(port),
      JSON.stringify(services),
      ...(endpoints ? [endpoints] : []),
    ]).toString(),
  ) as { command: string; args: string[] };
  const nginx = start(command, args);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/v1/version`, nginx, 200, 60_000);
  } catch (err) {
    await nginx.stop();
    throw err;
  }
  return { url, port, nginx };
}
