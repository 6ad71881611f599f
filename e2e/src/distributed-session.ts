import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  containerServers,
  killContainer,
  removeContainers,
  runContainer,
  SERVICE_UID,
  servicesBuilt,
} from './containers.js';
import { startIngress } from './ingress.js';
import { freePort, ROOT, start, waitForHttp, type Started } from './processes.js';
import {
  bearerOf,
  bootstrap,
  cliFor,
  createNodejsImage,
  driverProgramsIn,
  withServerLog,
  type Session,
} from './session.js';

export type ServiceName = 'identity' | 'images' | 'functions' | 'secrets' | 'events' | 'api-gateway';
const ALL_SERVICES: ServiceName[] = ['identity', 'images', 'functions', 'secrets', 'events', 'api-gateway'];

export interface DistributedSession extends Session {
  /** Each service's own base URL (its first replica's). */
  urls: Partial<Record<ServiceName, string>>;
  /** The base URLs of every replica of each service. */
  replicaUrls: Partial<Record<ServiceName, string[]>>;
  /** Where each replica of the gateway serves endpoints; `gateway` is the first's. */
  gatewayReplicas: Session['gateway'][];
  /** Kills a replica of a service outright (SIGKILL, no graceful shutdown), as a crashed pod. */
  kill(service: ServiceName, replica?: number): Promise<void>;
  /** Stops a replica as Kubernetes stops a pod (SIGTERM: it finishes what it has) and waits for it. */
  terminate(service: ServiceName, replica?: number): Promise<void>;
  /** Starts it again on its port, as Kubernetes restarts a pod, and waits until it is ready. */
  restart(service: ServiceName, replica?: number): Promise<void>;
  /** The org this session works in: its own, so sessions on one etcd and Kafka never meet. */
  org: string;
  /** A file holding the bearer token every service's /metrics wants (DISPATCH_METRICS_TOKEN). */
  metricsTokenFile: string;
  /** The etcd key prefix of this installation: each session is a fresh installation. */
  etcdNamespace: string;
}

/**
 * The distributed shape: the given services and identity on the test etcd, Kafka and PostgreSQL
 * (ETCD_ENDPOINTS, KAFKA_BROKERS, POSTGRES_URL), one data directory between them as one volume would
 * be, behind nginx as the ingress (tools/nginx.js); the dispatch CLI talks to the ingress, as a user's would. Each service runs as a
 * process, or with `containers` in its container image on a podman network, finding its peers by name
 * as pods find a Service. Each session is a fresh installation (its own etcd namespace), bootstrapped
 * as an operator would: the bootstrap identity creates the org, an administrator service account and
 * its policy, and the CLI logs in as it.
 */
export async function startDistributedSession(
  name: string,
  requested: ServiceName[],
  env: NodeJS.ProcessEnv = {},
  options: { replicas?: Partial<Record<ServiceName, number>>; containers?: boolean } = {},
): Promise<DistributedSession> {
  const services: ServiceName[] = requested.includes('identity') ? requested : ['identity', ...requested];
  const containers = options.containers ?? false;
  const host = {
    etcd: process.env['ETCD_ENDPOINTS'],
    kafka: process.env['KAFKA_BROKERS'],
    postgres: process.env['POSTGRES_URL'],
  };
  if (!host.etcd || !host.kafka || !host.postgres)
    throw new Error('ETCD_ENDPOINTS, KAFKA_BROKERS and POSTGRES_URL must be set: run `npm test`');
  const { etcd, kafka, postgres } = containers
    ? containerServers()
    : { etcd: host.etcd, kafka: host.kafka, postgres: host.postgres };
  if (containers) await servicesBuilt();
  const work = mkdtempSync(join(tmpdir(), `dispatch-${name}-`));
  const dataDir = join(work, 'data');
  const org = `e2e-${randomBytes(4).toString('hex')}`;
  /** In containers: each replica's name, each service's name on the network. */
  const containerOf = (service: ServiceName, url: string) =>
    `dispatch-${org}-${service}-${(replicaUrls[service] ?? []).indexOf(url)}`;
  const aliasOf = (service: ServiceName) => `${service}-${org}`;
  const peerUrl = (service: ServiceName) => {
    const url = urls[service];
    if (!url) return 'http://127.0.0.1:1';
    return containers ? `http://${aliasOf(service)}:${new URL(url).port}` : url;
  };
  if (containers) {
    mkdirSync(dataDir, { recursive: true });
    chownSync(dataDir, SERVICE_UID, SERVICE_UID);
  }
  const etcdNamespace = `/${org}/`;
  const bootstrapKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // The scrape token, as the chart makes one for an installation.
  const metricsToken = randomBytes(24).toString('base64url');
  const metricsTokenFile = join(work, 'metrics.token');
  writeFileSync(metricsTokenFile, `${metricsToken}\n`, { mode: 0o600 });
  // Each replica of a service is its own process on its own port; the ingress shares calls among them.
  const replicaUrls = Object.fromEntries(
    await Promise.all(
      services.map(async (s) => {
        const count = options.replicas?.[s] ?? 1;
        const urls = await Promise.all(
          Array.from({ length: count }, async () => `http://127.0.0.1:${await freePort()}`),
        );
        return [s, urls] as const;
      }),
    ),
  ) as Record<ServiceName, string[]>;
  const urls = Object.fromEntries(services.map((s) => [s, replicaUrls[s]?.[0]])) as Partial<
    Record<ServiceName, string>
  >;
  // Each gateway replica serves endpoints on ports of its own (HTTP and HTTPS), known before it starts.
  const gatewayPorts = new Map(
    await Promise.all(
      (replicaUrls['api-gateway'] ?? []).map(
        async (url) => [url, { http: await freePort(), https: await freePort() }] as const,
      ),
    ),
  );
  const gatewayUrls = [...gatewayPorts.values()].map(({ http, https }) => ({
    http: `http://127.0.0.1:${http}`,
    https: `https://127.0.0.1:${https}`,
  }));
  const processes = services.flatMap((service) =>
    (replicaUrls[service] ?? []).map((url) => ({ service, url })),
  );
  const running: Started[] = [];
  /** One process (or container) of a service, on its replica's port. */
  const launch = ({ service, url }: { service: ServiceName; url: string }) => {
    const gateway = gatewayPorts.get(url);
    const settings: Record<string, string> = {
      DISPATCH_PORT: new URL(url).port,
      DISPATCH_ETCD_ENDPOINTS: etcd,
      DISPATCH_ETCD_NAMESPACE: etcdNamespace,
      DISPATCH_BOOTSTRAP_PUBLIC_KEY: bootstrapKey.publicKey
        .export({ type: 'spki', format: 'pem' })
        .toString(),
      DISPATCH_KAFKA_BROKERS: kafka,
      DISPATCH_POSTGRES_URL: postgres,
      // Its own schema: each session is a fresh installation in the one test database.
      DISPATCH_POSTGRES_SCHEMA: org.replaceAll('-', '_'),
      DISPATCH_DATA_DIR: dataDir,
      DISPATCH_METRICS_TOKEN: metricsToken,
      // Every service's address: peers call each other there, and the console (in api-gateway) reaches
      // the service that owns each path it forwards.
      ...Object.fromEntries(
        ALL_SERVICES.map((peer) => [`DISPATCH_${peer.toUpperCase().replace('-', '_')}_URL`, peerUrl(peer)]),
      ),
      // This ingress does not serve endpoints: the console links them on the gateway's own port.
      ...(gateway
        ? {
            DISPATCH_GATEWAY_PORT: String(gateway.http),
            DISPATCH_GATEWAY_TLS_PORT: String(gateway.https),
            DISPATCH_CONSOLE_ENDPOINTS_URL: `http://127.0.0.1:${gateway.http}`,
          }
        : {}),
      ...(env as Record<string, string>),
    };
    if (!containers) return start(process.execPath, [join(ROOT, 'apps', service, 'dist/main.js')], settings);
    return runContainer({
      service,
      name: containerOf(service, url),
      alias: aliasOf(service),
      ports: [Number(new URL(url).port), ...(gateway ? [gateway.http, gateway.https] : [])],
      env: settings,
      volumes: [dataDir],
    });
  };
  const stop = async () => {
    await Promise.all(running.map((p) => p.stop()));
    if (containers) removeContainers(`dispatch-${org}-`);
    rmSync(work, { recursive: true, force: true });
  };
  try {
    for (const entry of processes) running.push(launch(entry));
    await Promise.all(
      processes.map(({ url }, i) => waitForHttp(`${url}/readyz`, running[i] as Started, 200, 60_000)),
    );
    const { url: ingress, port: ingressPort, nginx } = await startIngress(join(work, 'ingress'), replicaUrls);
    running.push(nginx);

    const config = join(work, 'config.json');
    const dispatch = withServerLog(cliFor(ingressPort, work, ['--organization', org], config), () =>
      running.map((p) => p.output()).join('\n'),
    );
    const adminKey = await bootstrap(dispatch, work, org, bootstrapKey.privateKey);
    const find = (service: ServiceName, replica: number) => {
      const index = processes.findIndex(
        (p) => p.service === service && p.url === replicaUrls[service]?.[replica],
      );
      if (index < 0) throw new Error(`no replica ${replica} of ${service}`);
      return index;
    };
    return {
      urls,
      replicaUrls,
      kill: async (service, replica = 0) => {
        const index = find(service, replica);
        const proc = running[index] as Started;
        if (containers) killContainer(containerOf(service, processes[index]?.url as string), 'KILL');
        else if (proc.child.pid !== undefined) process.kill(-proc.child.pid, 'SIGKILL');
        await proc.exited;
      },
      terminate: async (service, replica = 0) => {
        const index = find(service, replica);
        const proc = running[index] as Started;
        if (containers) killContainer(containerOf(service, processes[index]?.url as string), 'TERM');
        else if (proc.child.pid !== undefined) process.kill(proc.child.pid, 'SIGTERM');
        await proc.exited;
      },
      restart: async (service, replica = 0) => {
        const index = find(service, replica);
        const proc = launch(processes[index] as { service: ServiceName; url: string });
        running[index] = proc;
        await waitForHttp(`${processes[index]?.url}/readyz`, proc, 200, 60_000);
      },
      org,
      etcdNamespace,
      metricsTokenFile,
      authorization: (signer) => bearerOf(`${org}/admin`, adminKey, signer),
      work,
      dataDir,
      ...driverProgramsIn(dataDir),
      api: ingress,
      dispatch,
      nodejsImage: (cliArgs = []) => createNodejsImage(dispatch, cliArgs),
      // Without the api-gateway service nothing serves endpoints: port 1 refuses every call.
      gateway: gatewayUrls[0] ?? { http: 'http://127.0.0.1:1', https: 'https://127.0.0.1:1' },
      gatewayReplicas: gatewayUrls,
      platformAddresses: containers
        ? [
            { name: 'etcd', ...hostAndPort(etcd) },
            { name: 'kafka', ...hostAndPort(`tcp://${kafka}`) },
            // Where the functions service records runs: a tenant's code must not reach it either.
            { name: 'postgres', ...hostAndPort(postgres) },
            ...services.map((service) => ({ name: service, ...hostAndPort(peerUrl(service)) })),
          ]
        : [],
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

function hostAndPort(url: string): { host: string; port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}
