import { DomainError } from '@dispatch/contracts';
import type { EntityRef } from './entity-store.js';

/** The refusals both stores give, worded once so users see the same message from either. */
export function notFound(ref: EntityRef): DomainError {
  return new DomainError('NOT_FOUND', `${ref.kind} ${ref.name} not found in ${ref.org}/${ref.project}`);
}

export function alreadyExists(ref: EntityRef): DomainError {
  return new DomainError(
    'ALREADY_EXISTS',
    `${ref.kind} ${ref.name} already exists in ${ref.org}/${ref.project}`,
  );
}

export function conflict(ref: EntityRef, current: number | undefined): DomainError {
  const now = current === undefined ? '' : ` (now at revision ${current})`;
  return new DomainError(
    'REVISION_CONFLICT',
    `${ref.kind} ${ref.name} was changed by another writer${now}; read it again and retry`,
  );
}

export function compacted(from: number, oldest: number): DomainError {
  return new DomainError(
    'REVISION_COMPACTED',
    `cannot watch from revision ${from}: history before revision ${oldest} was compacted; list again and watch from the list's revision`,
  );
}
