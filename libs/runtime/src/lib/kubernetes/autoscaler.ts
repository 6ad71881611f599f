import { randomBytes } from 'node:crypto';
import type { V1Deployment } from '@kubernetes/client-node';
import type { FunctionSpec } from '../function-runtime.js';
import type { FunctionPool } from '../function-pool.js';
import type { Workloads } from './workloads.js';

/** A workload this process has called: its calls, and what it last asked of Kubernetes. */
export interface TrackedWorkload {
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

export interface AutoscalerSettings {
  minReplicas: number;
  maxReplicas: number;
  /** Calls in flight to keep on each pod. */
  targetInFlight: number;
  /** A function's idle time unless its spec sets one: past it with no call, it scales to zero. */
  idleMs: number;
  /** How often it looks at the load. */
  intervalMs: number;
}

const DEMAND_PREFIX = 'demand.dispatch.io/';

/**
 * Sets each tracked workload's scale from the calls in flight, between minReplicas and maxReplicas, and
 * to zero after the function's idle time. Every replica of the functions service sees only its own
 * calls, so each writes what it needs into the Deployment, an annotation of its own
 * (`demand.dispatch.io/<replica>`: replicas and when), and the scale is the most any replica needs now:
 * one idle replica never scales away a function another is busy with, and a replica that stopped stops
 * counting once its word is stale.
 */
export class Autoscaler {
  /** This process's annotation on the Deployments it scales. */
  private readonly demandKey = `${DEMAND_PREFIX}${randomBytes(5).toString('hex')}`;
  /** Whether a pass is running: a slow API server must not have passes overlap. */
  private passing = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly workloads: Workloads,
    private readonly tracked: ReadonlyMap<string, TrackedWorkload>,
    private readonly settings: AutoscalerSettings,
  ) {
    this.timer = setInterval(() => void this.pass(), settings.intervalMs);
    this.timer.unref();
  }

  /**
   * Scales a workload at zero back to one for a call. The demand goes with the scale: another replica's
   * autoscaler, reading only its own idle word, would otherwise put it back to zero while this one waits
   * for the pod.
   */
  async wake(key: string, workload: TrackedWorkload): Promise<void> {
    await this.workloads.annotate(key, { [this.demandKey]: `1@${Date.now()}` });
    workload.demand = 1;
    await this.workloads.scale(key, 1);
    workload.replicas = 1;
  }

  /** One look at every tracked workload. */
  async pass(): Promise<void> {
    if (this.passing) return;
    this.passing = true;
    try {
      for (const [key, workload] of this.tracked) await this.one(key, workload);
    } finally {
      this.passing = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async one(key: string, workload: TrackedWorkload): Promise<void> {
    const now = Date.now();
    const idleMs = workload.spec.idleMs ?? this.settings.idleMs;
    const idle = now - workload.lastCallAt >= idleMs && workload.active === 0;
    const { minReplicas, maxReplicas, targetInFlight } = this.settings;
    const wanted = idle
      ? 0
      : Math.min(maxReplicas, Math.max(minReplicas, Math.ceil(workload.peakInFlight / targetInFlight)));
    workload.peakInFlight = workload.active;
    // Idle at zero and already said so: nothing to write (a stale zero counts the same as a fresh one).
    if (wanted === 0 && workload.demand === 0 && workload.replicas === 0) return;
    // Waking from zero: keep asking for the pod being waited for.
    const demand = workload.waking ? Math.max(1, wanted) : wanted;
    try {
      const deployment = await this.workloads.annotate(key, { [this.demandKey]: `${demand}@${now}` });
      workload.demand = demand;
      const { target, stale } = demandOf(deployment, now, 3 * this.settings.intervalMs);
      workload.replicas = deployment.spec?.replicas ?? workload.replicas;
      if (stale.length) await this.workloads.annotate(key, Object.fromEntries(stale.map((k) => [k, null])));
      if (target !== workload.replicas) {
        await this.workloads.scale(key, target);
        workload.replicas = target;
      }
    } catch {
      // The next pass tries again; a deleted function's workload is retired by its reconciler.
    }
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
