import { DomainError, type Entity, type EntityStatus, type Tag } from '@dispatch/contracts';
import type { EntityStore, Watch, WatchEvent } from '@dispatch/entity-store';
import type { RequestScope } from '../request-scope.js';

/** What a write changes of an entity; tags left out keep the entity's own. */
export interface EntityChange<Spec> {
  spec?: Spec;
  tags?: Tag[];
  status?: EntityStatus;
  reason?: string[];
}

/**
 * What deleting an entity of a kind does: mark it DELETING for its reconciler to remove once what backs
 * it is gone (`reconciled`), or delete it now. Deleting now is guarded by the revision read, unless the
 * kind's manager writes its status at any moment (`unguarded`), so a user's delete never fails
 * because of it.
 */
export type Deletion = 'reconciled' | 'guarded' | 'unguarded';

/**
 * The store side of one entity kind, bound to the org and project of each call: the reads and writes
 * every domain does, with the checks every domain owes its callers written once (a body never renames
 * or overwrites another entity; a reference must name something that exists). The store's NOT_FOUND
 * already names the kind, the name and the org/project.
 */
export class KindRepository<Spec> {
  constructor(
    protected readonly store: EntityStore,
    readonly kind: string,
    /** How errors name the kind: `base image`, `event driver`. */
    readonly what: string,
    private readonly deletion: Deletion = 'guarded',
  ) {}

  get(scope: RequestScope, name: string): Promise<Entity<Spec>> {
    return this.store.get<Spec>({ ...this.where(scope), kind: this.kind, name });
  }

  /** The entity, or undefined when there is none. */
  async find(scope: RequestScope, name: string): Promise<Entity<Spec> | undefined> {
    return this.get(scope, name).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    });
  }

  /** Every change of this kind in the scope's project from now on. */
  watch(scope: RequestScope, onEvent: (event: WatchEvent<Spec>) => void): Promise<Watch> {
    return this.store.watch<Spec>({ org: scope.org, project: scope.project, kind: this.kind }, { onEvent });
  }

  list(scope: RequestScope, tags: Tag[] = []): Promise<Entity<Spec>[]> {
    return this.store.list<Spec>({ ...this.where(scope), kind: this.kind, tags });
  }

  /** Stores a new entity of the request's name and tags (ALREADY_EXISTS when the name is taken). */
  create(
    scope: RequestScope,
    request: { name: string; tags?: Tag[] },
    spec: Spec,
    status?: EntityStatus,
  ): Promise<Entity<Spec>> {
    const { name, tags } = request;
    return this.store.create<Spec>({ ...this.where(scope), kind: this.kind, name, tags, spec, status });
  }

  /**
   * The entity a PUT on `name` changes: INVALID_ARGUMENT when the body names another (a body never
   * renames an entity, nor writes over another one), NOT_FOUND when there is none.
   */
  async forUpdate(scope: RequestScope, name: string, body: { name?: string }): Promise<Entity<Spec>> {
    requireSameName(this.what, body.name, name);
    return this.get(scope, name);
  }

  /** Writes `change` over `current` (read with forUpdate), guarded by its revision. */
  update(current: Entity<Spec>, change: EntityChange<Spec>): Promise<Entity<Spec>> {
    const { tags, ...rest } = change;
    return this.store.update<Spec>({ ...current, ...rest, tags: tags ?? current.tags });
  }

  /** Deletes the entity as its kind deletes (see Deletion), answering what it was. */
  async delete(scope: RequestScope, name: string): Promise<Entity<Spec>> {
    const current = await this.get(scope, name);
    if (this.deletion === 'reconciled') return this.update(current, { status: 'DELETING' });
    await this.remove(current);
    return current;
  }

  /** Deletes an entity already read, now (see Deletion). */
  async remove(current: Entity<Spec>): Promise<void> {
    const guard = this.deletion === 'unguarded' ? undefined : { revision: current.revision };
    await this.store.delete(current, guard);
  }

  /** Where a call's entities of this kind live: its own org and project, unless a kind keeps them elsewhere. */
  protected where(scope: RequestScope): RequestScope {
    return scope;
  }

  /**
   * Refuses a body that refers to an entity of this kind the scope does not hold (INVALID_ARGUMENT,
   * naming it and where it was looked for): a function on a missing image, an image on a missing base
   * image.
   */
  async requireExisting(scope: RequestScope, name: string): Promise<void> {
    if ((await this.find(scope, name)) === undefined)
      throw new DomainError(
        'INVALID_ARGUMENT',
        `${this.what} ${name} not found in ${scope.org}/${scope.project}`,
      );
  }
}

/**
 * Refuses an update whose body names another entity than its path (INVALID_ARGUMENT): a body never
 * renames an entity, nor writes over another one.
 */
export function requireSameName(what: string, bodyName: string | undefined, pathName: string): void {
  if (bodyName !== undefined && bodyName !== pathName)
    throw new DomainError('INVALID_ARGUMENT', `the body names ${what} ${bodyName}, the path ${pathName}`);
}
