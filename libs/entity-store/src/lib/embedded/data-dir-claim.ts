import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '@dispatch/contracts';

const OWNER_FILE = 'owner.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes this process the only one using a data directory: the embedded store keeps watches, locks and
 * leases in memory, which a second process could not see. A file left by a killed owner is taken over.
 */
export function claimDataDir(dataDir: string): void {
  const file = join(dataDir, OWNER_FILE);
  let owner: number | undefined;
  try {
    owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
  } catch {
    owner = undefined;
  }
  if (owner && owner !== process.pid && alive(owner)) {
    throw new DomainError(
      'UNAVAILABLE',
      `data directory ${dataDir} is in use by process ${owner}; stop it or choose another --data-dir`,
    );
  }
  writeFileSync(file, String(process.pid), { mode: 0o600 });
}

export function releaseDataDir(dataDir: string): void {
  const file = join(dataDir, OWNER_FILE);
  try {
    if (Number.parseInt(readFileSync(file, 'utf8'), 10) === process.pid) rmSync(file);
  } catch {
    // Already gone: nothing to release.
  }
}
