import { createHash } from 'node:crypto';
import { relative, sep } from 'node:path';
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { DomainError } from '@dispatch/contracts';
import type { FunctionSpec } from '../function-runtime.js';
import type { Language } from '../protocol.js';

/** The runner's port in its container (deploy/runners): the protocol, one JSON line each way, over TCP. */
export const RUNNER_PORT = 8080;
/** Where the runner image expects the function's code and the image's dependencies, read-only. */
const CODE_MOUNT = '/function/code';
const DEPENDENCIES_MOUNT = '/function/deps';
const MANAGED_BY = 'dispatch-functions';

export interface WorkloadSettings {
  namespace: string;
  /** The runner image of a language, e.g. `registry.example.com/dispatch-runner-nodejs:0.1.0`. */
  runnerImage: (language: Language) => string;
  /**
   * The volume holding prepared code and image dependencies: the functions service sees it at `dataDir`,
   * a function's pods mount only their own code and dependencies out of the claim (subPath).
   */
  dataDir: string;
  dataClaim: string;
  memoryMb: number;
  /** Image pull secrets for a private registry. */
  imagePullSecrets?: string[];
}

/** The Kubernetes name of a function version: a DNS-1035 label, readable, unique by a hash of its key. */
export function workloadName(key: string): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 10);
  // `org/project/name@revision`: the name and revision are what an operator looks for in kubectl.
  const readable = (key.split('/').pop() ?? key)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `fn-${readable ? `${readable}-` : ''}${hash}`;
}

/** A label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '.')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

export function workloadLabels(spec: FunctionSpec): Record<string, string> {
  const [org = '', project = '', name = ''] = (spec.identity ?? spec.key).split('/');
  return {
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/component': 'function',
    'dispatch.io/org': labelValue(org),
    'dispatch.io/project': labelValue(project),
    'dispatch.io/function': labelValue(name),
    'dispatch.io/version': workloadName(spec.key),
  };
}

/** The label selecting every workload this driver made: its pods and what it may clean up. */
export const MANAGED_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

/** A path inside the data volume, as a subPath: refused when it is not inside it. */
function subPathOf(settings: WorkloadSettings, path: string): string {
  const inside = relative(settings.dataDir, path);
  if (inside === '' || inside.startsWith('..') || inside.startsWith(sep)) {
    throw new DomainError('INTERNAL', `${path} is not in the functions data volume at ${settings.dataDir}`);
  }
  return inside.split(sep).join('/');
}

/**
 * A function version as a Deployment: the language's runner image, told by its environment to load the
 * function from its code mounted read-only, serving the runtime protocol on RUNNER_PORT. The port opens
 * only once the handler loaded, so readiness is a TCP check; a handler that does not load ends the
 * container with the reason as its termination message. The pods get no API credentials and run as
 * a non-root user with a read-only root and nothing but a private /tmp to write.
 */
export function functionDeployment(
  spec: FunctionSpec,
  settings: WorkloadSettings,
  replicas: number,
): V1Deployment {
  const name = workloadName(spec.key);
  const labels = workloadLabels(spec);
  const memoryMb = spec.memoryMb ?? settings.memoryMb;
  const mounts = [
    { name: 'data', mountPath: CODE_MOUNT, subPath: subPathOf(settings, spec.codeDir), readOnly: true },
  ];
  const env = [
    { name: 'DISPATCH_RUNNER_PORT', value: String(RUNNER_PORT) },
    { name: 'DISPATCH_RUNNER_MEMORY_MB', value: String(memoryMb) },
    { name: 'DISPATCH_FUNCTION_CODE_DIR', value: CODE_MOUNT },
    { name: 'DISPATCH_FUNCTION_HANDLER', value: spec.handler },
  ];
  if (spec.dependenciesDir) {
    mounts.push({
      name: 'data',
      mountPath: DEPENDENCIES_MOUNT,
      subPath: subPathOf(settings, spec.dependenciesDir),
      readOnly: true,
    });
    env.push({ name: 'DISPATCH_FUNCTION_DEPENDENCIES_DIR', value: DEPENDENCIES_MOUNT });
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: settings.namespace, labels, annotations: { 'dispatch.io/key': spec.key } },
    spec: {
      replicas,
      selector: { matchLabels: { 'dispatch.io/version': name } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          imagePullSecrets: settings.imagePullSecrets?.map((secret) => ({ name: secret })),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'runner',
              image: settings.runnerImage(spec.language),
              ports: [{ name: 'runner', containerPort: RUNNER_PORT, protocol: 'TCP' }],
              env,
              resources: {
                requests: { cpu: '50m', memory: `${memoryMb}Mi` },
                // Room above the function's own cap for the runtime itself.
                limits: { memory: `${memoryMb + 64}Mi` },
              },
              readinessProbe: { tcpSocket: { port: 'runner' }, periodSeconds: 2, failureThreshold: 1 },
              livenessProbe: { tcpSocket: { port: 'runner' }, periodSeconds: 10, failureThreshold: 3 },
              terminationMessagePolicy: 'FallbackToLogsOnError',
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [...mounts, { name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [
            { name: 'data', persistentVolumeClaim: { claimName: settings.dataClaim, readOnly: true } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  };
}

/** The Service in front of a function version's pods: the functions service connects to it. */
export function functionService(spec: FunctionSpec, settings: WorkloadSettings): V1Service {
  const name = workloadName(spec.key);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: settings.namespace, labels: workloadLabels(spec) },
    spec: {
      selector: { 'dispatch.io/version': name },
      ports: [{ name: 'runner', port: RUNNER_PORT, targetPort: 'runner', protocol: 'TCP' }],
    },
  };
}
