import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { freePort, ROOT, start, waitForHttp } from './processes.js';

// The container images, built for real with podman (tools/images.js), each service then run in its
// container on the test etcd and Kafka, as a pod would run it.
const etcd = process.env.ETCD_ENDPOINTS;
const kafka = process.env.KAFKA_BROKERS;
const postgres = process.env.POSTGRES_URL;
if (!etcd || !kafka || !postgres)
  throw new Error('ETCD_ENDPOINTS, KAFKA_BROKERS and POSTGRES_URL must be set: run `npm test`');

const SERVICES = ['identity', 'images', 'functions', 'secrets', 'events', 'api-gateway'];
const RUNNERS: Record<string, string[]> = {
  'runner-nodejs': ['node', '--version'],
  'runner-python3': ['python3', '--version'],
  'runner-java': ['java', '-version'],
};

function images(...args: string[]): string {
  const res = spawnSync(process.execPath, ['tools/images.js', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 1_500_000,
  });
  if (res.status !== 0) throw new Error(`tools/images.js ${args.join(' ')} failed:\n${res.stderr}`);
  return res.stdout;
}

function podman(...args: string[]) {
  return spawnSync('podman', args, {
    encoding: 'utf8',
    env: { ...process.env, CONTAINERS_CONF: `${ROOT}/.cache/podman/containers.conf` },
  });
}

describe('container images', () => {
  let built: Map<string, string>;

  it('builds every service and runner image', () => {
    const listed = images('build');
    built = new Map(listed.split('\n').map((line) => line.split('\t') as [string, string]));
    for (const name of [...SERVICES, ...Object.keys(RUNNERS)])
      expect(built.has(`localhost/dispatch-${name}:0.1.0`)).toBe(true);
  }, 1_500_000);

  it.each(SERVICES)(
    'runs %s as user 10001, ready on etcd and Kafka',
    async (service) => {
      const image = `localhost/dispatch-${service}:0.1.0`;
      expect(podman('run', '--rm', '--entrypoint', 'id', image, '-u').stdout.trim()).toBe('10001');
      const port = await freePort();
      const name = `dispatch-e2e-${service}-${port}`;
      const proc = start(
        'podman',
        [
          'run',
          '--rm',
          '--name',
          name,
          '--network',
          'host',
          '-e',
          `DISPATCH_PORT=${port}`,
          '-e',
          `DISPATCH_ETCD_ENDPOINTS=${etcd}`,
          '-e',
          `DISPATCH_KAFKA_BROKERS=${kafka}`,
          '-e',
          `DISPATCH_POSTGRES_URL=${postgres}`,
          '-e',
          'DISPATCH_GATEWAY_PORT=0',
          '-e',
          'DISPATCH_GATEWAY_TLS_PORT=0',
          image,
        ],
        { CONTAINERS_CONF: `${ROOT}/.cache/podman/containers.conf` },
      );
      try {
        const ready = await waitForHttp(`http://127.0.0.1:${port}/readyz`, proc, 200, 90_000);
        expect(await ready.json()).toMatchObject({ status: 'ok' });
        const version = (await (await fetch(`http://127.0.0.1:${port}/v1/version`)).json()) as {
          shape: string;
        };
        expect(version.shape).toBe(service);
      } finally {
        podman('stop', '-t', '20', name);
        await proc.exited;
      }
    },
    180_000,
  );

  it.each(SERVICES)('carries only what %s loads, not the workspace', (service) => {
    const image = `localhost/dispatch-${service}:0.1.0`;
    const inside = (script: string) =>
      podman('run', '--rm', '--entrypoint', 'sh', image, '-c', script).stdout.trim();
    // Its own code and the libraries it loads, none of the other services, sources or build tools.
    expect(inside('test -f apps/' + service + '/dist/main.js && echo yes')).toBe('yes');
    // api-gateway serves the web console: its built page, and nothing else of apps/ui.
    const serves = service === 'api-gateway' ? ['ui'] : [];
    expect(inside('ls apps')).toBe([service, ...serves].sort().join('\n'));
    if (service === 'api-gateway') {
      expect(inside('test -f apps/ui/dist/index.html && echo yes')).toBe('yes');
      expect(
        inside('test -e apps/ui/src && echo src; test -e apps/ui/node_modules && echo modules; true'),
      ).toBe('');
    }
    const strays = ['node_modules/typescript', 'node_modules/jest', 'node_modules/nx', 'libs/platform/src'];
    expect(inside(strays.map((path) => `test -e ${path} && echo ${path}`).join('; ') + '; true')).toBe('');
    // The Kubernetes client comes with the runtime library (functions' kubernetes runtime, which images
    // shares the runners' toolchains with), not into the other four.
    const runsFunctions = service === 'functions' || service === 'images';
    expect(inside('test -e node_modules/@kubernetes/client-node && echo yes; true')).toBe(
      runsFunctions ? 'yes' : '',
    );
    // What it adds to its base: a few tens of MB (the whole workspace's dependencies were over 100).
    expect(Number(inside('du -sm /app | cut -f1'))).toBeLessThan(64);
  });

  it.each(Object.entries(RUNNERS))(
    '%s runs its language as user 10001',
    (runner, command) => {
      const image = `localhost/dispatch-${runner}:0.1.0`;
      expect(podman('run', '--rm', '--entrypoint', 'id', image, '-u').stdout.trim()).toBe('10001');
      const res = podman('run', '--rm', '--entrypoint', command[0] as string, image, ...command.slice(1));
      expect(res.status).toBe(0);
    },
    60_000,
  );
});
