import { describe, it } from '@jest/globals';
import { startDistributedSession, type ServiceName } from './distributed-session.js';
import { startKubernetesSession } from './kubernetes-session.js';
import type { Session } from './session.js';
import { startSoloSession } from './solo-session.js';

/**
 * The shapes an e2e suite runs in: `solo` (one process), `services` (each service its own process, on
 * etcd and Kafka behind nginx), `containers` (each service in its container image on a podman
 * network, on the same etcd and Kafka behind nginx) and `kubernetes` (the chart installed on the
 * single-node Kubernetes of tools/k8s.js, one installation the suites share). E2E_SHAPES picks them
 * (all by default).
 */
export const SHAPES = (process.env['E2E_SHAPES'] ?? 'solo,services,containers,kubernetes')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

/**
 * How long a suite's beforeAll may take to open its session and set up: the first suite of a run in
 * the kubernetes shape installs the chart (images put on the node, every pod Ready).
 */
export const SETUP_TIMEOUT = 900_000;

/**
 * Declares `suite` once per shape, each with its own Dispatch: the same black-box tests, whichever
 * shape serves them: solo, the services as processes, and the chart on Kubernetes (which runs the
 * services' images). `services` are those the suite needs in the distributed shape. The `containers`
 * shape is for the suites declared with inEachDistributedShape: the images run on Kubernetes here
 * already, and CI's time goes further on a shape that adds something.
 */
export function inEachShape(
  name: string,
  services: ServiceName[],
  suite: (shape: string, open: () => Promise<Session>) => void,
): void {
  if (SHAPES.includes('solo')) suite('solo', () => startSoloSession(name));
  if (SHAPES.includes('services'))
    suite('services on etcd and Kafka, behind nginx', () => startDistributedSession(name, services));
  if (SHAPES.includes('kubernetes'))
    suite('installed with its chart on Kubernetes', () => startKubernetesSession(name, { shared: true }));
}

/** The distributed shapes picked (`services`, `containers`), each with whether it runs containers. */
export const DISTRIBUTED_SHAPES = [
  { shape: 'services', name: 'services', containers: false },
  { shape: 'containers', name: 'services in containers', containers: true },
].filter(({ shape }) => SHAPES.includes(shape));

/**
 * Declares `suite` once per distributed shape picked (or skips it when there is none), for suites that
 * start their own installations (replicas, a service killed).
 */
export function inEachDistributedShape(
  title: string,
  suite: (options: { containers: boolean }) => void,
): void {
  if (DISTRIBUTED_SHAPES.length === 0) describe.skip(title, () => it.todo('a distributed shape'));
  for (const { name, containers } of DISTRIBUTED_SHAPES)
    describe(`${title} (${name})`, () => suite({ containers }));
}
