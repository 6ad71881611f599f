import type { EntityRef, EntityScope } from '../entity-store.js';

/**
 * The org-first layout of earlier versions (`keys.ts`'s, which the embedded store keeps), moved on
 * first use (see EtcdEntityStore.migrate).
 */
export { ENTITY_ROOT as LEGACY_ENTITY_ROOT, parseEntityKey as parseLegacyKey } from '../keys.js';

/**
 * Where etcd keeps entities: kind first (`/dispatch-entities/<kind>/<org>/<project>/<name>`), so a watch
 * of one kind across every org, what each service's caches and reconcilers hold, is one key range and
 * hears only writes of that kind. (The embedded store keeps `keys.ts`'s org-first layout: its watches
 * are in-process and filter for free.)
 */
export const ETCD_ENTITY_ROOT = '/dispatch-entities/';

export function etcdKey(ref: EntityRef): string {
  return `${ETCD_ENTITY_ROOT}${ref.kind}/${ref.org}/${ref.project}/${ref.name}`;
}

export function parseEtcdKey(key: string): EntityRef | undefined {
  if (!key.startsWith(ETCD_ENTITY_ROOT)) return undefined;
  const parts = key.slice(ETCD_ENTITY_ROOT.length).split('/');
  if (parts.length !== 4) return undefined;
  const [kind, org, project, name] = parts as [string, string, string, string];
  return { org, project, kind, name };
}

/**
 * The longest key prefix a scope pins down: kind, then org, then project. A scope without a kind (an
 * org's every entity, which only deleting an org asks for) is the whole root, filtered by `inScope`.
 */
export function etcdScopePrefix(scope: EntityScope): string {
  let prefix = ETCD_ENTITY_ROOT;
  for (const part of [scope.kind, scope.org, scope.project]) {
    if (part === undefined) break;
    prefix += `${part}/`;
  }
  return prefix;
}
