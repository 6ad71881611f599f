import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { DomainError } from '@dispatch/contracts';
import {
  FUNCTION_DEFAULTS,
  RetiredVersions,
  type FunctionRuntime,
  type FunctionSpec,
} from '../function-runtime.js';
import { FunctionPool } from '../process/function-pool.js';
import type { RunRequest, RunResponse } from '../protocol.js';
import { RemoteRunner } from './remote-runner.js';
import {
  functionDeployment,
  functionService,
  RUNNER_PORT,
  workloadName,
  type WorkloadSettings,
} from './workload.js';

export interface KubernetesRuntimeOptions extends Omit<WorkloadSettings, 'memoryMb'> {
  kubeConfig: KubeConfig;
  /** Where a function version's Service answers; by default its cluster DNS name. */
  address?: (name: string, namespace: string) => { host: string; port: number };
  /** How long prepare waits for the first pod to be ready. */
  readyTimeoutMs?: number;
  /** The autoscaler's bounds and target: it keeps about `targetInFlight` calls on each pod. */
  minReplicas?: number;
  maxReplicas?: number;
  targetInFlight?: number;
  /** How often the autoscaler looks at the load. */
  scaleIntervalMs?: number;
  defaults?: { timeoutMs?: number; memoryMb?: number; idleMs?: number; queueLimit?: number };
}

/** What the driver reports of a function version's workload, from its Deployment's status. */
export interface WorkloadStatus {
  name: string;
  desired: number;
  ready: number;
  available: number;
  /** Whether the Deployment's controller has seen its latest spec: until then the counts are old. */
  current: boolean;
  /** Why pods are not ready, when Kubernetes says: a crash's termination message, an image pull error. */
  problems: string[];
  /**
   * The runner's reason when the handler did not load (the runners exit 1 for that alone): the
   * function's own fault, which waiting will not mend. A run that passed its deadline ends the runner
   * otherwise (exit 2, or killed) and is only among the problems.
   */
  loadFailure?: string;
}

const FIELD_MANAGER = 'dispatch-functions';
const DEMAND_PREFIX = 'demand.dispatch.io/';
const POLL_MS = 500;
/** The exit code of a runner whose handler did not load; all three runners use it for that alone. */
const LOAD_FAILURE_EXIT = 1;

interface Workload {
  spec: FunctionSpec;
  pool: FunctionPool;
  /** Replicas asked of Kubernetes last. */
  replicas: number;
  /** Calls in flight now, the most since the autoscaler last looked, and when one last came. */
  active: number;
  peakInFlight: number;
  lastCallAt: number;
  /** While scaling up from zero: the wait for the first pod. */
  waking?: Promise<void>;
  /** The demand this process last wrote into the Deployment. */
  demand?: number;
}

/**
 * Runs functions as Kubernetes workloads, through the API server (@kubernetes/client-node). Preparing a
 * function version applies its Deployment and Service (server-side apply, so a second replica of the
 * functions service applying the same objects changes nothing) and waits until a pod is ready, failing
 * with the pod's own reason when the handler does not load. Calls go over pooled TCP connections to the
 * Service, pipelined as with local processes. An autoscaler sets each Deployment's scale from the calls
 * in flight, between minReplicas and maxReplicas, and to zero after the function's idle time; the next
 * call scales it back to one and waits for the pod.
 */
export class KubernetesRuntime implements FunctionRuntime {
  readonly isolation = 'each function version runs in pods of its own, with only its own code mounted';
  readonly isolated = true;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly objects: KubernetesObjectApi;
  private readonly workloads = new Map<string, Workload>();
  private readonly retired = new RetiredVersions();
  /** First calls after a restart, reading a workload's scale before it is tracked: one read a key. */
  private readonly tracking = new Map<string, Promise<Workload>>();
  /** Whether an autoscaler pass is running: a slow API server must not have passes overlap. */
  private scaling = false;
  private readonly scaler: NodeJS.Timeout;
  private readonly scaleIntervalMs: number;
  /** This process's annotation on the Deployments it scales (see autoscale). */
  private readonly demandKey = `${DEMAND_PREFIX}${randomBytes(5).toString('hex')}`;
  private readonly settings: Required<
    Pick<KubernetesRuntimeOptions, 'readyTimeoutMs' | 'minReplicas' | 'maxReplicas' | 'targetInFlight'>
  > &
    typeof FUNCTION_DEFAULTS;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    this.apps = options.kubeConfig.makeApiClient(AppsV1Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(options.kubeConfig);
    this.settings = {
      readyTimeoutMs: options.readyTimeoutMs ?? 180_000,
      minReplicas: options.minReplicas ?? 1,
      maxReplicas: options.maxReplicas ?? 10,
      targetInFlight: options.targetInFlight ?? 4,
      ...FUNCTION_DEFAULTS,
      ...options.defaults,
    };
    this.scaleIntervalMs = options.scaleIntervalMs ?? 5_000;
    this.scaler = setInterval(() => void this.autoscale(), this.scaleIntervalMs);
    this.scaler.unref();
  }

  async prepare(spec: FunctionSpec): Promise<void> {
    const workload = { ...this.options, memoryMb: this.settings.memoryMb };
    await this.apply(functionService(spec, workload));
    await this.apply(functionDeployment(spec, workload, Math.max(1, this.settings.minReplicas)));
    this.track(spec, Math.max(1, this.settings.minReplicas));
    await this.untilReady(spec.key);
  }

  async invoke(spec: FunctionSpec, run: RunRequest): Promise<RunResponse> {
    this.retired.check(spec.key);
    const workload = this.workloads.get(spec.key) ?? (await this.trackRunning(spec));
    workload.lastCallAt = Date.now();
    if (workload.replicas === 0) {
      // The demand goes with the scale: another replica's autoscaler, reading only its own idle word,
      // would otherwise put the workload back to zero while this one waits for the pod.
      workload.waking ??= this.patchAnnotations(spec.key, { [this.demandKey]: `1@${Date.now()}` })
        .then(() => {
          workload.demand = 1;
          return this.scale(spec.key, 1);
        })
        .then(() => this.untilReady(spec.key))
        .finally(() => (workload.waking = undefined));
    }
    workload.active += 1;
    workload.peakInFlight = Math.max(workload.peakInFlight, workload.active);
    try {
      if (workload.waking) await workload.waking;
      return await workload.pool.invoke(run);
    } catch (err) {
      // Refused because the version went meanwhile (see ProcessRuntime.invoke): the current one runs it.
      this.retired.check(spec.key);
      throw err;
    } finally {
      workload.active -= 1;
    }
  }

  /** Sets a function version's replicas (the Deployment's scale subresource). */
  async scale(key: string, replicas: number): Promise<void> {
    await this.apps.patchNamespacedDeploymentScale(
      {
        name: workloadName(key),
        namespace: this.options.namespace,
        body: { spec: { replicas } },
        fieldManager: FIELD_MANAGER,
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const workload = this.workloads.get(key);
    if (workload) workload.replicas = replicas;
  }

  /** A function version's workload as Kubernetes reports it. */
  async status(key: string): Promise<WorkloadStatus> {
    return this.withPods(await this.deploymentStatus(key));
  }

  private async deploymentStatus(key: string): Promise<WorkloadStatus> {
    const name = workloadName(key);
    const deployment = await this.apps.readNamespacedDeployment({ name, namespace: this.options.namespace });
    return {
      name,
      desired: deployment.spec?.replicas ?? 0,
      ready: deployment.status?.readyReplicas ?? 0,
      available: deployment.status?.availableReplicas ?? 0,
      current: (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1),
      problems: deploymentProblems(deployment),
    };
  }

  /** Adds what the workload's pods say of why they are not serving. */
  private async withPods(status: WorkloadStatus): Promise<WorkloadStatus> {
    const pods = await this.core.listNamespacedPod({
      namespace: this.options.namespace,
      labelSelector: `dispatch.io/version=${status.name}`,
    });
    const reports = pods.items.map(podReport);
    return {
      ...status,
      problems: [...status.problems, ...reports.flatMap((r) => r.problems)],
      loadFailure: reports.find((r) => r.loadFailure)?.loadFailure,
    };
  }

  async retire(key: string): Promise<void> {
    this.retired.add(key);
    const workload = this.workloads.get(key);
    this.workloads.delete(key);
    await workload?.pool.close();
    const name = workloadName(key);
    const namespace = this.options.namespace;
    await ignoreMissing(
      this.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' }),
    );
    await ignoreMissing(this.core.deleteNamespacedService({ name, namespace }));
  }

  /** Stops calling; the workloads stay, since their functions still exist. */
  async close(): Promise<void> {
    clearInterval(this.scaler);
    const pools = [...this.workloads.values()].map((w) => w.pool);
    this.workloads.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  /**
   * One pass of the autoscaler over the workloads this process has called. Every replica of the
   * functions service sees only its own calls, so each writes what it needs into the Deployment, an
   * annotation of its own (`demand.dispatch.io/<replica>`: replicas and when), and the scale is the most
   * any replica needs now: one idle replica never scales away a function another is busy with, and a
   * replica that stopped stops counting once its word is stale.
   */
  async autoscale(): Promise<void> {
    if (this.scaling) return;
    this.scaling = true;
    try {
      for (const [key, workload] of this.workloads) await this.autoscaleOne(key, workload);
    } finally {
      this.scaling = false;
    }
  }

  private async autoscaleOne(key: string, workload: Workload): Promise<void> {
    const now = Date.now();
    const idleMs = workload.spec.idleMs ?? this.settings.idleMs;
    const idle = now - workload.lastCallAt >= idleMs && workload.active === 0;
    const wanted = idle
      ? 0
      : Math.min(
          this.settings.maxReplicas,
          Math.max(
            this.settings.minReplicas,
            Math.ceil(workload.peakInFlight / this.settings.targetInFlight),
          ),
        );
    workload.peakInFlight = workload.active;
    // Idle at zero and already said so: nothing to write (a stale zero counts the same as a fresh one).
    if (wanted === 0 && workload.demand === 0 && workload.replicas === 0) return;
    // Waking from zero: keep asking for the pod being waited for.
    const demand = workload.waking ? Math.max(1, wanted) : wanted;
    try {
      const deployment = await this.patchAnnotations(key, { [this.demandKey]: `${demand}@${now}` });
      workload.demand = demand;
      const { target, stale } = demandOf(deployment, now, 3 * this.scaleIntervalMs);
      workload.replicas = deployment.spec?.replicas ?? workload.replicas;
      if (stale.length) await this.patchAnnotations(key, Object.fromEntries(stale.map((k) => [k, null])));
      if (target !== workload.replicas) await this.scale(key, target);
    } catch {
      // The next pass tries again; a deleted function's workload is retired by its reconciler.
    }
  }

  private patchAnnotations(key: string, annotations: Record<string, string | null>): Promise<V1Deployment> {
    return this.apps.patchNamespacedDeployment(
      {
        name: workloadName(key),
        namespace: this.options.namespace,
        body: { metadata: { annotations } },
        fieldManager: FIELD_MANAGER,
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  private track(spec: FunctionSpec, replicas: number): Workload {
    const address = () =>
      (this.options.address ?? clusterAddress)(workloadName(spec.key), this.options.namespace);
    const workload: Workload = {
      spec,
      replicas,
      active: 0,
      peakInFlight: 0,
      lastCallAt: Date.now(),
      pool: new FunctionPool(
        {
          // Connections, each to a pod the Service picks: enough to reach every pod at the most replicas.
          concurrency: this.settings.maxReplicas * 2,
          pipeline: spec.pipeline ?? this.settings.pipeline,
          queueLimit: spec.queueLimit ?? this.settings.queueLimit,
          idleMs: 60_000,
          timeoutMs: spec.timeoutMs ?? this.settings.timeoutMs,
        },
        () => {
          const { host, port } = address();
          return RemoteRunner.connect(host, port);
        },
      ),
    };
    this.workloads
      .get(spec.key)
      ?.pool.close()
      .catch(() => undefined);
    this.workloads.set(spec.key, workload);
    return workload;
  }

  /**
   * Tracks a workload that already runs (calls after this process started): concurrent first calls
   * share one read of its scale and one pool, so none closes the pool another is queued in.
   */
  private trackRunning(spec: FunctionSpec): Promise<Workload> {
    let tracking = this.tracking.get(spec.key);
    if (!tracking) {
      tracking = this.currentReplicas(spec.key)
        .then((replicas) => this.workloads.get(spec.key) ?? this.track(spec, replicas))
        .finally(() => this.tracking.delete(spec.key));
      this.tracking.set(spec.key, tracking);
    }
    return tracking;
  }

  private async currentReplicas(key: string): Promise<number> {
    try {
      const deployment = await this.apps.readNamespacedDeployment({
        name: workloadName(key),
        namespace: this.options.namespace,
      });
      return deployment.spec?.replicas ?? 0;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) {
        throw new DomainError('UNAVAILABLE', `the function's workload ${workloadName(key)} is gone`);
      }
      throw err;
    }
  }

  private async apply(object: KubernetesObject): Promise<void> {
    try {
      await this.objects.patch(
        object,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
    } catch (err) {
      throw new DomainError(
        'UNAVAILABLE',
        `Kubernetes refused the ${object.kind} ${object.metadata?.name}: ${describe(err)}`,
      );
    }
  }

  /** Waits until a pod of the workload is ready; fails at once with a pod's reason when one is failing. */
  private async untilReady(key: string): Promise<void> {
    const name = workloadName(key);
    const deadline = Date.now() + this.settings.readyTimeoutMs;
    let last: WorkloadStatus | undefined;
    while (Date.now() < deadline) {
      // The Deployment alone answers the common case; its pods are read only while none is ready.
      last = await this.deploymentStatus(key);
      if (last.current && last.available > 0) return;
      last = await this.withPods(last);
      if (last.loadFailure) throw new DomainError('INVALID_ARGUMENT', last.loadFailure);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const why = last?.problems.length ? `: ${last.problems.join('; ')}` : '';
    throw new DomainError(
      'UNAVAILABLE',
      `no pod of ${name} was ready within ${Math.round(this.settings.readyTimeoutMs / 1000)} s${why}`,
    );
  }
}

/**
 * The most replicas any functions-service replica asks for now, from the Deployment's demand
 * annotations (`<replicas>@<milliseconds>`); words older than `freshMs` do not count, and those much
 * older are to be removed.
 */
function demandOf(
  deployment: V1Deployment,
  now: number,
  freshMs: number,
): { target: number; stale: string[] } {
  let target = 0;
  const stale: string[] = [];
  for (const [key, value] of Object.entries(deployment.metadata?.annotations ?? {})) {
    if (!key.startsWith(DEMAND_PREFIX)) continue;
    const [replicas, at] = value.split('@').map(Number);
    if (replicas === undefined || at === undefined || !Number.isFinite(replicas) || !Number.isFinite(at))
      continue;
    if (now - at <= freshMs) target = Math.max(target, replicas);
    else if (now - at > 10 * freshMs) stale.push(key);
  }
  return { target, stale };
}

function clusterAddress(name: string, namespace: string): { host: string; port: number } {
  return { host: `${name}.${namespace}.svc`, port: RUNNER_PORT };
}

function deploymentProblems(deployment: V1Deployment): string[] {
  return (deployment.status?.conditions ?? [])
    .filter((c) => c.status === 'False' && c.message)
    .map((c) => `${c.type}: ${c.message}`);
}

/**
 * Why a pod is not serving: the runner's termination message, which is the function's load failure when
 * it exited with LOAD_FAILURE_EXIT.
 */
function podReport(pod: V1Pod): { problems: string[]; loadFailure?: string } {
  const problems: string[] = [];
  let loadFailure: string | undefined;
  for (const status of pod.status?.containerStatuses ?? []) {
    const terminated = status.state?.terminated ?? status.lastState?.terminated;
    if (terminated && terminated.exitCode !== 0) {
      const why = terminated.message?.trim() || terminated.reason || `exit ${terminated.exitCode}`;
      if (terminated.exitCode === LOAD_FAILURE_EXIT) {
        loadFailure = `the handler did not load: ${why}`;
        problems.push(loadFailure);
      } else {
        problems.push(`the runner ended: ${why}`);
      }
    }
    const waiting = status.state?.waiting;
    if (waiting && waiting.reason !== 'ContainerCreating' && waiting.reason !== 'CrashLoopBackOff') {
      problems.push(`${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`);
    }
  }
  for (const condition of pod.status?.conditions ?? []) {
    if (condition.type === 'PodScheduled' && condition.status === 'False' && condition.message) {
      problems.push(`not scheduled: ${condition.message}`);
    }
  }
  return { problems, loadFailure };
}

async function ignoreMissing(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 404)) throw err;
  }
}

function describe(err: unknown): string {
  if (err instanceof ApiException) {
    const body = typeof err.body === 'string' ? safeParse(err.body) : err.body;
    return (body as { message?: string } | undefined)?.message ?? `HTTP ${err.code}`;
  }
  return (err as Error).message;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}
