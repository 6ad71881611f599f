import { DomainError } from '@dispatch/contracts';
import type { EntityStore } from '@dispatch/entity-store';
import type { RequestScope } from './request-scope.js';

/**
 * Refuses a body that refers to an entity its scope does not hold (INVALID_ARGUMENT, naming it and
 * where it was looked for): a function on a missing image, an image on a missing base image.
 */
export async function requireExisting(
  store: EntityStore,
  scope: RequestScope,
  reference: { kind: string; name: string; what: string },
): Promise<void> {
  try {
    await store.get({ ...scope, kind: reference.kind, name: reference.name });
  } catch (err) {
    if (err instanceof DomainError && err.code === 'NOT_FOUND') {
      throw new DomainError(
        'INVALID_ARGUMENT',
        `${reference.what} ${reference.name} not found in ${scope.org}/${scope.project}`,
      );
    }
    throw err;
  }
}
