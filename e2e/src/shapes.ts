import { startDistributedSession, type ServiceName } from './distributed-session.js';
import type { Session } from './session.js';
import { startSoloSession } from './solo-session.js';

/**
 * The shapes an e2e suite runs in: `solo` (one process) and `services` (each service its own process,
 * on etcd and Kafka behind nginx). E2E_SHAPES picks them (`solo`, `services`, or both, the default).
 */
export const SHAPES = (process.env['E2E_SHAPES'] ?? 'solo,services')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

/**
 * Declares `suite` once per shape, each with its own Dispatch: the same black-box tests, whichever
 * shape serves them. `services` are those the suite needs in the distributed shape.
 */
export function inEachShape(
  name: string,
  services: ServiceName[],
  suite: (shape: string, open: () => Promise<Session>) => void,
): void {
  if (SHAPES.includes('solo')) suite('solo', () => startSoloSession(name));
  if (SHAPES.includes('services'))
    suite('services on etcd and Kafka, behind nginx', () => startDistributedSession(name, services));
}
