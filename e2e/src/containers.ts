import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, start, type Started } from './processes.js';

/**
 * The services as containers (tools/images.js's images, run with podman on the cluster's network), as
 * the `containers` shape and the local cluster in containers run them. The host's etcd and Kafka must
 * have been started for containers (`npm test` does): CONTAINER_ETCD_ENDPOINTS,
 * CONTAINER_KAFKA_BROKERS and CONTAINER_POSTGRES_URL say where containers reach them.
 */

const podmanEnv = () => ({ ...process.env, CONTAINERS_CONF: `${ROOT}/.cache/podman/containers.conf` });

export function podman(...args: string[]) {
  return spawnSync('podman', args, { encoding: 'utf8', env: podmanEnv() });
}

/** Where containers reach the host's etcd, Kafka and PostgreSQL. */
export function containerServers(): { etcd: string; kafka: string; postgres: string } {
  const etcd = process.env['CONTAINER_ETCD_ENDPOINTS'];
  const kafka = process.env['CONTAINER_KAFKA_BROKERS'];
  const postgres = process.env['CONTAINER_POSTGRES_URL'];
  if (!etcd || !kafka || !postgres)
    throw new Error(
      'CONTAINER_ETCD_ENDPOINTS, CONTAINER_KAFKA_BROKERS and CONTAINER_POSTGRES_URL must be set: run `npm test`, or start etcd, Kafka and PostgreSQL with --containers',
    );
  return { etcd, kafka, postgres };
}

let built: Promise<void> | undefined;
/**
 * The service images, built from the sources as they are now (once per run by e2e/global-setup.mjs,
 * else once per test process; podman's layer cache makes it quicker when nothing changed), and the
 * network.
 */
export function servicesBuilt(): Promise<void> {
  built ??= imagesBuilt(['identity', 'images', 'functions', 'secrets', 'events', 'api-gateway']);
  return built;
}

let runners: Promise<void> | undefined;
/** The nodejs runner's image, as functions run on Kubernetes (functions.runtime=kubernetes). */
export function nodejsRunnerBuilt(): Promise<void> {
  runners ??= imagesBuilt(['runner-nodejs']);
  return runners;
}

/** Builds tools/images.js's images of these names (quickly when podman's layer cache has them). */
function imagesBuilt(names: string[]): Promise<void> {
  const builtForTheRun = (process.env['E2E_IMAGES_BUILT'] ?? '').split(',');
  if (names.every((name) => builtForTheRun.includes(name))) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const res = spawnSync(process.execPath, ['tools/images.js', 'build', '--network', ...names], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 1_500_000,
    });
    if (res.status === 0) resolve();
    else reject(new Error(`building the images ${names.join(', ')} failed:\n${res.stderr.slice(-4000)}`));
  });
}

export interface ServiceContainer {
  service: string;
  /** The container's name: also its host name on the network. */
  name: string;
  /** A name every replica of the service answers to on the network, as a Kubernetes Service's. */
  alias: string;
  /** Ports published on the host's loopback, each as the same port inside. */
  ports: number[];
  env: Record<string, string>;
  /** Host directories mounted at the same path inside. */
  volumes: string[];
}

/**
 * Runs one service's container in the foreground (podman passes signals on), with the arguments the
 * local cluster uses (tools/lib/containers.js); `--rm` when it ends.
 */
export function runContainer(c: ServiceContainer): Started {
  podman('rm', '-f', c.name);
  const spec = { ...c, image: `localhost/dispatch-${c.service}:0.1.0` };
  const args = JSON.parse(
    execFileSync(process.execPath, [
      join(ROOT, 'tools/lib/containers.js'),
      'run-args',
      JSON.stringify(spec),
    ]).toString(),
  ) as string[];
  const client = start('podman', args, { CONTAINERS_CONF: podmanEnv().CONTAINERS_CONF });
  return {
    ...client,
    // Stopped as a kubelet stops a pod: SIGTERM to the container itself (the client passing on its own
    // signal proved unreliable), then SIGKILL after a grace period.
    stop: async () => {
      if (client.child.exitCode !== null) return client.exited;
      killContainer(c.name, 'TERM');
      const grace = setTimeout(() => killContainer(c.name, 'KILL'), 20_000);
      const code = await client.exited;
      clearTimeout(grace);
      return code;
    },
  };
}

/** Kills a container outright, as a crashed pod (the podman client cannot pass SIGKILL on). */
export function killContainer(name: string, signal: 'KILL' | 'TERM'): void {
  podman('kill', '--signal', signal, name);
}

/** The user services run as in their images: the data directory they share must be theirs. */
export const SERVICE_UID = 10001;

/** Ends every container of a session whose client is gone (a test process that died). */
export function removeContainers(prefix: string): void {
  const names = podman('ps', '-a', '--format', '{{.Names}}', '--filter', `name=^${prefix}`)
    .stdout.split('\n')
    .filter(Boolean);
  if (names.length) podman('rm', '-f', '-t', '5', ...names);
}

export type { Started };
