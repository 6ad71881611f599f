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
import { workloadName } from './workload.js';

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
  /** Why the runner image is not there (a pull that backs off, a node told never to pull). */
  imageFailure?: string;
}

const FIELD_MANAGER = 'dispatch-functions';
const POLL_MS = 500;
/** The exit code of a runner whose handler did not load; all three runners use it for that alone. */
const LOAD_FAILURE_EXIT = 1;

/**
 * Function versions' workloads as the API server has them (@kubernetes/client-node), by version key:
 * applying their objects (server-side apply, so a second replica of the functions service applying the
 * same objects changes nothing), their scale and annotations, their status as their Deployment and pods
 * report it, waiting for a ready pod, and removing them.
 */
export class Workloads {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly objects: KubernetesObjectApi;

  constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly readyTimeoutMs: number,
  ) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  async apply(object: KubernetesObject): Promise<void> {
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

  /** Sets a version's replicas (the Deployment's scale subresource). */
  async scale(key: string, replicas: number): Promise<void> {
    await this.apps.patchNamespacedDeploymentScale(
      {
        name: workloadName(key),
        namespace: this.namespace,
        body: { spec: { replicas } },
        fieldManager: FIELD_MANAGER,
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** Sets (or, with null, removes) annotations of a version's Deployment, answering the Deployment. */
  annotate(key: string, annotations: Record<string, string | null>): Promise<V1Deployment> {
    return this.apps.patchNamespacedDeployment(
      {
        name: workloadName(key),
        namespace: this.namespace,
        body: { metadata: { annotations } },
        fieldManager: FIELD_MANAGER,
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** The replicas a version's Deployment asks for now; UNAVAILABLE when the workload is gone. */
  async replicas(key: string): Promise<number> {
    try {
      const deployment = await this.apps.readNamespacedDeployment({
        name: workloadName(key),
        namespace: this.namespace,
      });
      return deployment.spec?.replicas ?? 0;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) {
        throw new DomainError('UNAVAILABLE', `the function's workload ${workloadName(key)} is gone`);
      }
      throw err;
    }
  }

  /** A version's workload as Kubernetes reports it. */
  async status(key: string): Promise<WorkloadStatus> {
    return this.withPods(await this.deploymentStatus(key));
  }

  /**
   * Waits until a pod of the workload is ready; fails at once with a pod's reason when one cannot serve
   * (its handler does not load, or its image cannot be pulled), else with the last reasons seen.
   */
  async untilReady(key: string): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let problems: string[] = [];
    while (Date.now() < deadline) {
      // The Deployment alone answers the common case; its pods are read only while none is ready.
      const status = await this.deploymentStatus(key);
      if (status.current && status.available > 0) return;
      const seen = await this.withPods(status);
      if (seen.loadFailure) throw new DomainError('INVALID_ARGUMENT', seen.loadFailure);
      if (seen.imageFailure) throw new DomainError('UNAVAILABLE', seen.imageFailure);
      if (seen.problems.length) problems = seen.problems;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const why = problems.length ? `: ${problems.join('; ')}` : '';
    throw new DomainError(
      'UNAVAILABLE',
      `no pod of ${workloadName(key)} was ready within ${Math.round(this.readyTimeoutMs / 1000)} s${why}`,
    );
  }

  /** Deletes a version's Deployment (its pods with it) and Service; gone already is fine. */
  async remove(key: string): Promise<void> {
    const name = workloadName(key);
    const namespace = this.namespace;
    await ignoreMissing(
      this.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' }),
    );
    await ignoreMissing(this.core.deleteNamespacedService({ name, namespace }));
  }

  private async deploymentStatus(key: string): Promise<WorkloadStatus> {
    const name = workloadName(key);
    const deployment = await this.apps.readNamespacedDeployment({ name, namespace: this.namespace });
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
      namespace: this.namespace,
      labelSelector: `dispatch.io/version=${status.name}`,
    });
    const reports = pods.items.map(podReport);
    return {
      ...status,
      problems: [...status.problems, ...reports.flatMap((r) => r.problems)],
      loadFailure: reports.find((r) => r.loadFailure)?.loadFailure,
      imageFailure: reports.find((r) => r.imageFailure)?.imageFailure,
    };
  }
}

/**
 * What the Deployment says is wrong (a quota refusing its pods, a stalled rollout), leaving out that it
 * is not yet available: that is the question, and its pods say why.
 */
function deploymentProblems(deployment: V1Deployment): string[] {
  return (deployment.status?.conditions ?? [])
    .filter((c) => c.status === 'False' && c.message && c.reason !== 'MinimumReplicasUnavailable')
    .map((c) => `${c.type}: ${c.message}`);
}

/**
 * Why a pod is not serving: the runner's termination message, which is the function's load failure when
 * it exited with LOAD_FAILURE_EXIT.
 */
function podReport(pod: V1Pod): { problems: string[]; loadFailure?: string; imageFailure?: string } {
  const problems: string[] = [];
  let loadFailure: string | undefined;
  let imageFailure: string | undefined;
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
      const why = `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
      problems.push(why);
      // The kubelet has tried the pull and backs off, or may not pull at all: no pod comes soon.
      if (IMAGE_FAILURES.has(waiting.reason ?? ''))
        imageFailure = `the runner image cannot be pulled: ${why}`;
    }
  }
  for (const condition of pod.status?.conditions ?? []) {
    if (condition.type === 'PodScheduled' && condition.status === 'False' && condition.message) {
      problems.push(`not scheduled: ${condition.message}`);
    }
  }
  return { problems, loadFailure, imageFailure };
}

/** A container's waiting reasons that say its image will not be there without someone's help. */
const IMAGE_FAILURES = new Set(['ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);

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
