import { DomainError } from '@dispatch/contracts';

/** `--wait`: polls until the entity is READY or ERROR; ERROR ends the command with its reason. */
export async function waitUntilSettled<T extends { status: string; reason?: string[]; name: string }>(
  fetch: () => Promise<T>,
  what: string,
  timeoutMs = 10 * 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const entity = await fetch();
    if (entity.status === 'READY') return entity;
    if (entity.status === 'ERROR') {
      throw new DomainError(
        'INVALID_ARGUMENT',
        `${what} ${entity.name} is in ERROR: ${(entity.reason ?? []).join('; ')}`,
      );
    }
    if (Date.now() > deadline)
      throw new DomainError('UNAVAILABLE', `${what} ${entity.name} is still ${entity.status}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
