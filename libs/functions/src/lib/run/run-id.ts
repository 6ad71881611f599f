import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** Random bytes for 4,096 ids, drawn at once: on some VMs each call for randomness costs ~0.3 ms. */
const pool = Buffer.alloc(16 * 4096);
let next = pool.length;

/**
 * A run's name: a UUIDv7, so runs sort by time by name alone. Its random bits come from a pool refilled
 * in large blocks rather than a small one per few ids.
 */
export function runId(): string {
  if (next + 16 > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const random = pool.subarray(next, (next += 16));
  return uuidv7({ random });
}
