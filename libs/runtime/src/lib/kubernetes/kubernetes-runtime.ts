import type { KubeConfig } from '@kubernetes/client-node';
import {
  FUNCTION_DEFAULTS,
  RetiredVersions,
  type FunctionRuntime,
  type FunctionSpec,
} from '../function-runtime.js';
import { FunctionPool } from '../function-pool.js';
import type { RunRequest, RunResponse } from '../protocol.js';
import { Autoscaler, type TrackedWorkload } from './autoscaler.js';
import { RemoteRunner } from './remote-runner.js';
import {
  functionDeployment,
  functionService,
  RUNNER_PORT,
  workloadName,
  type WorkloadSettings,
} from './workload.js';
import { Workloads, type WorkloadStatus } from './workloads.js';
import type { PoolState, RuntimeObserver } from '../runtime-observer.js';

export type { WorkloadStatus } from './workloads.js';

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
  /**
   * Told of cold starts and warm calls, for metrics: a call that woke a version from zero replicas is a
   * cold start, its `spawn` the wait for the pod (scheduled, started, the function loaded: a pod is
   * ready only then) and its `first-run` the call itself; every other call is a warm hit.
   */
  observer?: RuntimeObserver;
}

/**
 * Runs functions as Kubernetes workloads (see Workloads for the API server's side). Preparing a function
 * version applies its Deployment and Service and waits until a pod is ready, failing with the pod's own
 * reason when the handler does not load. Calls go over pooled TCP connections to the Service, pipelined
 * as with local processes. The Autoscaler sets each Deployment's scale from the calls in flight, to zero
 * after the function's idle time; the next call scales it back to one and waits for the pod.
 */
export class KubernetesRuntime implements FunctionRuntime {
  readonly isolation = 'each function version runs in pods of its own, with only its own code mounted';
  readonly isolated = true;
  private readonly workloads: Workloads;
  private readonly tracked = new Map<string, TrackedWorkload>();
  private readonly autoscaler: Autoscaler;
  private readonly retired = new RetiredVersions();
  /** First calls after a restart, reading a workload's scale before it is tracked: one read a key. */
  private readonly tracking = new Map<string, Promise<TrackedWorkload>>();
  private readonly settings: Required<Pick<KubernetesRuntimeOptions, 'minReplicas' | 'maxReplicas'>> &
    typeof FUNCTION_DEFAULTS;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    this.settings = {
      minReplicas: options.minReplicas ?? 1,
      maxReplicas: options.maxReplicas ?? 10,
      ...FUNCTION_DEFAULTS,
      ...options.defaults,
    };
    this.workloads = new Workloads(options.kubeConfig, options.namespace, options.readyTimeoutMs ?? 180_000);
    this.autoscaler = new Autoscaler(this.workloads, this.tracked, {
      minReplicas: this.settings.minReplicas,
      maxReplicas: this.settings.maxReplicas,
      targetInFlight: options.targetInFlight ?? 4,
      idleMs: this.settings.idleMs,
      intervalMs: options.scaleIntervalMs ?? 5_000,
    });
  }

  async prepare(spec: FunctionSpec): Promise<void> {
    const settings = { ...this.options, memoryMb: this.settings.memoryMb };
    const replicas = Math.max(1, this.settings.minReplicas);
    await this.workloads.apply(functionService(spec, settings));
    await this.workloads.apply(functionDeployment(spec, settings, replicas));
    const workload = this.track(spec, replicas);
    // Waiting for its first pod counts as use: the autoscaler never takes a workload being prepared to
    // zero, however short the idle time.
    workload.active += 1;
    try {
      await this.workloads.untilReady(spec.key);
    } finally {
      workload.active -= 1;
      workload.lastCallAt = Date.now();
    }
  }

  async invoke(spec: FunctionSpec, run: RunRequest): Promise<RunResponse> {
    this.retired.check(spec.key);
    const workload = this.tracked.get(spec.key) ?? (await this.trackRunning(spec));
    workload.lastCallAt = Date.now();
    // The call that wakes the version is its cold start; calls that come meanwhile only wait for it.
    let woke = false;
    if (workload.replicas === 0 && !workload.waking) {
      woke = true;
      workload.waking = this.autoscaler
        .wake(spec.key, workload)
        .then(() => this.workloads.untilReady(spec.key))
        .finally(() => (workload.waking = undefined));
    }
    workload.active += 1;
    workload.peakInFlight = Math.max(workload.peakInFlight, workload.active);
    const observer = this.options.observer;
    const identity = spec.identity ?? spec.key;
    try {
      const waiting = performance.now();
      if (workload.waking) await workload.waking;
      if (!woke) {
        observer?.warmHit(identity, spec.language);
        return await workload.pool.invoke(run);
      }
      const running = performance.now();
      observer?.coldStartPhase(identity, spec.language, 'spawn', (running - waiting) / 1000);
      const response = await workload.pool.invoke(run);
      observer?.coldStartPhase(identity, spec.language, 'first-run', (performance.now() - running) / 1000);
      return response;
    } catch (err) {
      // Refused because the version went meanwhile (see ProcessRuntime.invoke): the current one runs it.
      this.retired.check(spec.key);
      throw err;
    } finally {
      workload.active -= 1;
    }
  }

  /** Each version's pods as this process last asked for them, and its calls waiting for a first pod. */
  poolStates(): PoolState[] {
    return [...this.tracked.values()].map((w) => ({
      identity: w.spec.identity ?? w.spec.key,
      runners: w.replicas,
      queued: w.waking ? w.active : 0,
    }));
  }

  /** Sets a function version's replicas (the Deployment's scale subresource). */
  async scale(key: string, replicas: number): Promise<void> {
    await this.workloads.scale(key, replicas);
    const workload = this.tracked.get(key);
    if (workload) workload.replicas = replicas;
  }

  /** A function version's workload as Kubernetes reports it. */
  status(key: string): Promise<WorkloadStatus> {
    return this.workloads.status(key);
  }

  /** One pass of the autoscaler over the workloads this process has called (see Autoscaler). */
  autoscale(): Promise<void> {
    return this.autoscaler.pass();
  }

  async retire(key: string): Promise<void> {
    this.retired.add(key);
    const workload = this.tracked.get(key);
    this.tracked.delete(key);
    await workload?.pool.close();
    await this.workloads.remove(key);
  }

  /** Stops calling; the workloads stay, since their functions still exist. */
  async close(): Promise<void> {
    this.autoscaler.stop();
    const pools = [...this.tracked.values()].map((w) => w.pool);
    this.tracked.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  private track(spec: FunctionSpec, replicas: number): TrackedWorkload {
    const address = () =>
      (this.options.address ?? clusterAddress)(workloadName(spec.key), this.options.namespace);
    const workload: TrackedWorkload = {
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
    this.tracked
      .get(spec.key)
      ?.pool.close()
      .catch(() => undefined);
    this.tracked.set(spec.key, workload);
    return workload;
  }

  /**
   * Tracks a workload that already runs (calls after this process started): concurrent first calls
   * share one read of its scale and one pool, so none closes the pool another is queued in.
   */
  private trackRunning(spec: FunctionSpec): Promise<TrackedWorkload> {
    let tracking = this.tracking.get(spec.key);
    if (!tracking) {
      tracking = this.workloads
        .replicas(spec.key)
        .then((replicas) => this.tracked.get(spec.key) ?? this.track(spec, replicas))
        .finally(() => this.tracking.delete(spec.key));
      this.tracking.set(spec.key, tracking);
    }
    return tracking;
  }
}

function clusterAddress(name: string, namespace: string): { host: string; port: number } {
  return { host: `${name}.${namespace}.svc`, port: RUNNER_PORT };
}
