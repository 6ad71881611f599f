import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import type { FunctionSpec } from '../function-runtime.js';
import { KubernetesRuntime } from './kubernetes-runtime.js';
import type { RuntimeObserver } from '../runtime-observer.js';
import { freePort, portOpen } from '../testing/ports.js';
import { workloadName } from './workload.js';

/*
 * The driver against a real Kubernetes API server (tools/kube.js: kube-apiserver on etcd, started by
 * `npm test`). That server stores, validates and defaults objects as a cluster does, but has no
 * controllers or kubelet, so this test does their part, in the open: where a cluster would start a pod
 * for the Deployment, it starts the runner locally with the container's environment as stored on the
 * API server, and reports the pod ready through the Deployment's status subresource.
 */

const kubeconfig = process.env['KUBECONFIG'];
if (!kubeconfig) throw new Error('KUBECONFIG must name the test API server: run `npm test` (tools/kube.js)');
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(kubeconfig);
const apps = kubeConfig.makeApiClient(AppsV1Api);
const core = kubeConfig.makeApiClient(CoreV1Api);
const namespace = `dispatch-test-${randomBytes(3).toString('hex')}`;
const RUNNER = fileURLToPath(new URL('../../../runners/nodejs/runner.mjs', import.meta.url));

let dataDir: string;
let runtime: KubernetesRuntime;
/** The driver of a second replica of the functions service. */
let other: KubernetesRuntime;
/** The "pods" this test runs for each workload, by workload name, and the port they listen on. */
const pods = new Map<string, { port: number; children: ChildProcess[] }>();

async function portOf(name: string): Promise<number> {
  const known = pods.get(name);
  if (known) return known.port;
  const port = await freePort();
  pods.set(name, { port, children: [] });
  return port;
}

function functionIn(name: string, code: string, handler = 'index.js'): FunctionSpec {
  const codeDir = join(dataDir, 'functions', 'org1', 'default', name, '1', 'code');
  mkdirSync(codeDir, { recursive: true });
  writeFileSync(join(codeDir, handler), code);
  return {
    key: `org1/default/${name}@1`,
    identity: `org1/default/${name}`,
    language: 'nodejs',
    codeDir,
    handler,
  };
}

async function deploymentOf(key: string): Promise<V1Deployment> {
  return apps.readNamespacedDeployment({ name: workloadName(key), namespace });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The cluster's part for one Deployment: once it exists with replicas > 0, start a runner process as its
 * pod would run (the container's env from the API server, its code mount mapped to the data directory),
 * then mark the Deployment's replicas ready and available in its status.
 */
async function actAsCluster(key: string): Promise<V1Deployment> {
  const deployment = await until('the Deployment', async () => {
    const d = await deploymentOf(key);
    return (d.spec?.replicas ?? 0) > 0 ? d : undefined;
  });
  const name = deployment.metadata?.name as string;
  const container = deployment.spec?.template.spec?.containers[0];
  const mount = container?.volumeMounts?.find((m) => m.mountPath === '/function/code');
  const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? '']));
  const port = await portOf(name);
  const child = spawn(process.execPath, [RUNNER], {
    env: {
      PATH: process.env['PATH'],
      ...env,
      DISPATCH_RUNNER_PORT: String(port),
      DISPATCH_FUNCTION_CODE_DIR: join(dataDir, mount?.subPath ?? 'missing'),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  pods.get(name)?.children.push(child);
  await until('the runner to listen', async () => ((await portOpen(port)) ? true : undefined));
  const replicas = deployment.spec?.replicas ?? 1;
  await apps.replaceNamespacedDeploymentStatus({
    name,
    namespace,
    body: {
      ...deployment,
      status: {
        observedGeneration: deployment.metadata?.generation,
        replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        updatedReplicas: replicas,
      },
    },
  });
  return deployment;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'dispatch-kube-'));
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  // What the service account controller would make in a new namespace: pods need it to be admitted.
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } });
  runtime = new KubernetesRuntime({ ...runtimeOptions(), observer: recording });
  other = new KubernetesRuntime(runtimeOptions());
});

/** What `runtime` told its observer (for metrics): each cold-start phase, and warm calls. */
const told: string[] = [];
const recording: RuntimeObserver = {
  coldStartPhase: (identity, _language, phase) => told.push(`${identity} ${phase}`),
  warmHit: (identity) => told.push(`${identity} warm`),
};

/** A functions service replica's driver; the test drives its autoscaler by hand. */
function runtimeOptions(): ConstructorParameters<typeof KubernetesRuntime>[0] {
  return {
    kubeConfig,
    namespace,
    runnerImage: (language) => `registry.example.com/dispatch-runner-${language}:0.1.0`,
    dataDir,
    dataClaim: 'dispatch-data',
    address: (name) => ({ host: '127.0.0.1', port: pods.get(name)?.port ?? 1 }),
    readyTimeoutMs: 20_000,
    maxReplicas: 3,
    targetInFlight: 2,
    scaleIntervalMs: 3_600_000,
  };
}

afterAll(async () => {
  await runtime?.close();
  await other?.close();
  for (const { children } of pods.values()) for (const child of children) child.kill('SIGKILL');
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the Kubernetes runtime driver, against kube-apiserver', () => {
  const hello = functionIn.bind(null, 'hello');
  let spec: FunctionSpec;
  let slow: FunctionSpec;

  it('deploys a function as a Deployment and a Service the API server accepts, and waits for its pod', async () => {
    spec = hello(`module.exports = (context, payload) => ({ hello: payload.name, pid: process.pid });`);
    const prepared = runtime.prepare(spec);
    const deployment = await actAsCluster(spec.key);
    await prepared;

    const pod = deployment.spec?.template.spec;
    const container = pod?.containers[0];
    expect(container?.image).toBe('registry.example.com/dispatch-runner-nodejs:0.1.0');
    expect(container?.env).toEqual(
      expect.arrayContaining([
        { name: 'DISPATCH_FUNCTION_HANDLER', value: 'index.js' },
        { name: 'DISPATCH_FUNCTION_CODE_DIR', value: '/function/code' },
      ]),
    );
    // Only its own code, read-only, from the shared volume; no credentials for the API; not root.
    expect(container?.volumeMounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          mountPath: '/function/code',
          subPath: 'functions/org1/default/hello/1/code',
          readOnly: true,
        }),
      ]),
    );
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.securityContext?.runAsNonRoot).toBe(true);
    expect(container?.securityContext?.readOnlyRootFilesystem).toBe(true);
    // The API server filled in its defaults: the object is what a cluster would run.
    expect(deployment.spec?.strategy?.type).toBe('RollingUpdate');

    const service = await core.readNamespacedService({ name: workloadName(spec.key), namespace });
    expect(service.spec?.selector).toEqual({ 'dispatch.io/version': workloadName(spec.key) });
    expect(service.spec?.ports?.[0]?.port).toBe(8080);
    expect(service.spec?.clusterIP).toMatch(/^10\.96\./);
  });

  it('runs calls sent together on the pod, over TCP', async () => {
    const answers = await Promise.all(
      ['ada', 'grace', 'edsger'].map((name) => runtime.invoke(spec, { context: {}, payload: { name } })),
    );
    expect(answers.map((a) => (a.payload as { hello: string }).hello)).toEqual(['ada', 'grace', 'edsger']);
    expect(answers.every((a) => a.context.error === null)).toBe(true);
  });

  it('reports the workload status as Kubernetes has it', async () => {
    const status = await runtime.status(spec.key);
    expect(status).toMatchObject({
      name: workloadName(spec.key),
      desired: 1,
      ready: 1,
      available: 1,
      current: true,
      problems: [],
    });
  });

  it('scales with the calls in flight, within its bounds, and to zero when idle', async () => {
    slow = {
      ...functionIn(
        'slow',
        `module.exports = async () => { await new Promise((r) => setTimeout(r, 400)); return 'done'; };`,
      ),
      idleMs: 1_000,
    };
    const prepared = runtime.prepare(slow);
    await actAsCluster(slow.key);
    await prepared;
    // The other replica of the functions service served one call, and is idle from now on.
    expect((await other.invoke(slow, { context: {}, payload: {} })).payload).toBe('done');
    const calls = Array.from({ length: 8 }, () => runtime.invoke(slow, { context: {}, payload: {} }));
    await new Promise((r) => setTimeout(r, 50));
    await runtime.autoscale();
    // Eight in flight at two a pod would be four; the bound is three.
    expect((await deploymentOf(slow.key)).spec?.replicas).toBe(3);
    // The idle replica asks for none, but one replica's idleness never scales away another's work.
    await new Promise((r) => setTimeout(r, 1_100));
    await other.autoscale();
    expect((await deploymentOf(slow.key)).spec?.replicas).toBe(3);
    expect((await Promise.all(calls)).every((a) => a.payload === 'done')).toBe(true);

    await new Promise((r) => setTimeout(r, 1_100));
    await runtime.autoscale();
    expect((await deploymentOf(slow.key)).spec?.replicas).toBe(0);
    // As the cluster would: scaled to zero, its pod stops.
    for (const child of pods.get(workloadName(slow.key))?.children.splice(0) ?? []) child.kill('SIGTERM');
    const idle = await deploymentOf(slow.key);
    await apps.replaceNamespacedDeploymentStatus({
      name: idle.metadata?.name as string,
      namespace,
      body: { ...idle, status: { observedGeneration: idle.metadata?.generation, replicas: 0 } },
    });

    // Its calls so far found a pod up: warm, each of them.
    const id = slow.identity ?? slow.key;
    expect(told.filter((t) => t.startsWith(`${id} `))).toEqual(Array(8).fill(`${id} warm`));
    told.length = 0;

    // The next call scales it back to one and waits for the pod.
    const woken = runtime.invoke(slow, { context: {}, payload: {} });
    // The idle replica's autoscaler, looking while the pod is awaited, does not undo the wake-up.
    await until('the scale to one', async () =>
      (await deploymentOf(slow.key)).spec?.replicas === 1 ? true : undefined,
    );
    await other.autoscale();
    expect((await deploymentOf(slow.key)).spec?.replicas).toBe(1);
    await actAsCluster(slow.key);
    expect((await woken).payload).toBe('done');
    expect((await deploymentOf(slow.key)).spec?.replicas).toBe(1);
    // That call was a cold start: the wait for the pod, then its run.
    expect(told).toEqual([`${id} spawn`, `${id} first-run`]);
    expect(runtime.poolStates()).toContainEqual({ identity: id, runners: 1, queued: 0 });
  });

  it('counts every first call of a replica that just started, sent together, when it scales', async () => {
    const started = new KubernetesRuntime(runtimeOptions());
    try {
      const calls = Array.from({ length: 6 }, () => started.invoke(slow, { context: {}, payload: {} }));
      await new Promise((r) => setTimeout(r, 100));
      await started.autoscale();
      // Six in flight at two a pod: three pods.
      expect((await deploymentOf(slow.key)).spec?.replicas).toBe(3);
      expect((await Promise.all(calls)).map((a) => a.payload)).toEqual(Array(6).fill('done'));
    } finally {
      await started.close();
    }
  });

  /** What the kubelet reports of a workload's pod whose runner exited and is waiting to restart. */
  async function crashedPod(key: string, exitCode: number, message: string): Promise<void> {
    const deployment = await until('the Deployment', () => deploymentOf(key));
    const name = deployment.metadata?.name as string;
    const pod = await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: `${name}-abc12`, labels: deployment.spec?.template.metadata?.labels },
        spec: deployment.spec?.template.spec ?? { containers: [] },
      },
    });
    await core.replaceNamespacedPodStatus({
      name: pod.metadata?.name as string,
      namespace,
      body: {
        ...pod,
        status: {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'runner',
              image: 'registry.example.com/dispatch-runner-nodejs:0.1.0',
              imageID: '',
              ready: false,
              restartCount: 1,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { exitCode, message, reason: 'Error' } },
            },
          ],
        },
      },
    });
  }

  it("fails a handler that does not load with the pod's own reason", async () => {
    const broken = functionIn('broken', `module.exports = 42;`);
    const prepared = runtime.prepare(broken);
    await crashedPod(broken.key, 1, 'index.js does not export a function');
    await expect(prepared).rejects.toThrow('the handler did not load: index.js does not export a function');
  });

  it('waits out a runner that a run past its deadline ended, which is no load failure', async () => {
    const stuck = functionIn('stuck', `module.exports = () => 'unstuck';`);
    const prepared = runtime.prepare(stuck);
    await crashedPod(stuck.key, 137, 'the function did not finish within 1000 ms');
    // Long enough for the driver to have read the pod at least once.
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await runtime.status(stuck.key)).problems).toContain(
      'the runner ended: the function did not finish within 1000 ms',
    );
    await actAsCluster(stuck.key);
    await prepared;
    expect((await runtime.status(stuck.key)).loadFailure).toBeUndefined();
    expect((await runtime.invoke(stuck, { context: {}, payload: {} })).payload).toBe('unstuck');
  });

  it('removes the Deployment and the Service when a version is retired', async () => {
    await runtime.retire(spec.key);
    const gone = (call: Promise<unknown>) =>
      call.then(
        () => 200,
        (err: unknown) => (err instanceof ApiException ? err.code : 0),
      );
    expect(await gone(deploymentOf(spec.key))).toBe(404);
    expect(await gone(core.readNamespacedService({ name: workloadName(spec.key), namespace }))).toBe(404);
    await expect(runtime.invoke(spec, { context: {}, payload: {} })).rejects.toThrow('was retired');
  });
});
