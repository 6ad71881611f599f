import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT, start, waitForHttp, type Started } from './processes.js';
import { cliFor, createNodejsImage, type Session } from './session.js';

export type ServiceName = 'identity' | 'images' | 'functions' | 'secrets' | 'events' | 'api-gateway';

export interface DistributedSession extends Session {
  /** Each service's own base URL. */
  urls: Partial<Record<ServiceName, string>>;
  /** The org this session works in: its own, so sessions on one etcd and Kafka never meet. */
  org: string;
}

/**
 * The distributed shape as processes: the given services on the test etcd and Kafka (ETCD_ENDPOINTS,
 * KAFKA_BROKERS), one data directory between them as one volume would be, behind nginx as the ingress
 * (tools/nginx.js); the dispatch CLI talks to the ingress, as a user's would.
 */
export async function startDistributedSession(
  name: string,
  services: ServiceName[],
  env: NodeJS.ProcessEnv = {},
): Promise<DistributedSession> {
  const etcd = process.env['ETCD_ENDPOINTS'];
  const kafka = process.env['KAFKA_BROKERS'];
  if (!etcd || !kafka) throw new Error('ETCD_ENDPOINTS and KAFKA_BROKERS must be set: run `npm test`');
  const work = mkdtempSync(join(tmpdir(), `dispatch-${name}-`));
  const dataDir = join(work, 'data');
  const org = `e2e-${randomBytes(4).toString('hex')}`;
  const ports = Object.fromEntries(
    await Promise.all(services.map(async (s) => [s, await freePort()] as const)),
  );
  const urls = Object.fromEntries(services.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Partial<
    Record<ServiceName, string>
  >;
  const running: Started[] = [];
  const stop = async () => {
    await Promise.all(running.map((p) => p.stop()));
    rmSync(work, { recursive: true, force: true });
  };
  try {
    for (const service of services) {
      const proc = start(process.execPath, [join(ROOT, 'apps', service, 'dist/main.js')], {
        DISPATCH_PORT: String(ports[service]),
        DISPATCH_ETCD_ENDPOINTS: etcd,
        DISPATCH_KAFKA_BROKERS: kafka,
        DISPATCH_DATA_DIR: dataDir,
        DISPATCH_FUNCTIONS_URL: urls.functions ?? 'http://127.0.0.1:1',
        DISPATCH_SECRETS_URL: urls.secrets ?? 'http://127.0.0.1:1',
        DISPATCH_GATEWAY_PORT: '0',
        DISPATCH_GATEWAY_TLS_PORT: '0',
        ...env,
      });
      running.push(proc);
    }
    await Promise.all(
      services.map((s, i) => waitForHttp(`${urls[s]}/readyz`, running[i] as Started, 200, 60_000)),
    );
    const ingressPort = await freePort();
    const { command, args } = JSON.parse(
      execFileSync(process.execPath, [
        join(ROOT, 'tools/nginx.js'),
        'prepare',
        join(work, 'ingress'),
        String(ingressPort),
        JSON.stringify(urls),
      ]).toString(),
    ) as { command: string; args: string[] };
    const nginx = start(command, args);
    running.push(nginx);
    const ingress = `http://127.0.0.1:${ingressPort}`;
    await waitForHttp(`${ingress}/v1/version`, nginx, 200, 30_000);

    const dispatch = cliFor(ingressPort, work, ['--organization', org]);
    return {
      urls,
      org,
      work,
      dataDir,
      api: ingress,
      dispatch,
      nodejsImage: () => createNodejsImage(dispatch),
      write: (file, text) => {
        writeFileSync(join(work, file), text);
        return join(work, file);
      },
      stop,
    };
  } catch (err) {
    const output = running.map((p) => p.output()).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${output.slice(-4000)}`);
  }
}
