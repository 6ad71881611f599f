import type { Entity, Tag } from '@dispatch/contracts';
import type { EntityRef, EntityScope } from './entity-store.js';

/** Every entity key starts here; locks and leases live beside it, never under it. */
export const ENTITY_ROOT = '/dispatch/';
export const LOCK_ROOT = '/dispatch-locks/';

export function entityKey(ref: EntityRef): string {
  return `${ENTITY_ROOT}${ref.org}/${ref.project}/${ref.kind}/${ref.name}`;
}

export function parseEntityKey(key: string): EntityRef | undefined {
  if (!key.startsWith(ENTITY_ROOT)) return undefined;
  const parts = key.slice(ENTITY_ROOT.length).split('/');
  if (parts.length !== 4) return undefined;
  const [org, project, kind, name] = parts as [string, string, string, string];
  return { org, project, kind, name };
}

/**
 * The longest key prefix a scope pins down. Parts after a missing one (a kind across every org) cannot
 * be a prefix, so `inScope` filters them.
 */
export function scopePrefix(scope: EntityScope): string {
  let prefix = ENTITY_ROOT;
  for (const part of [scope.org, scope.project, scope.kind]) {
    if (part === undefined) break;
    prefix += `${part}/`;
  }
  return prefix;
}

export function inScope(ref: EntityRef, scope: EntityScope): boolean {
  return (
    (scope.org === undefined || ref.org === scope.org) &&
    (scope.project === undefined || ref.project === scope.project) &&
    (scope.kind === undefined || ref.kind === scope.kind)
  );
}

export function hasTags(entity: Entity<unknown>, wanted: Tag[] | undefined): boolean {
  if (!wanted?.length) return true;
  return wanted.every((w) => entity.tags.some((t) => t.key === w.key && t.value === w.value));
}
