import { DomainError, IAM_PROJECT, toApiModel, type ApiModel, type Entity } from '@dispatch/contracts';
import type { EntityStore } from '@dispatch/entity-store';
import type { AccessControl } from '@dispatch/auth';
import { KindRepository, type EntityChange, type RequestScope } from '@dispatch/platform';

/** Where an org's identity entities live: the org itself, not a project. */
export const inOrg = (org: string): RequestScope => ({ org, project: IAM_PROJECT });

/** The upstream model of an identity entity: the spec's fields beside the envelope's, without the project. */
export function iamModel<S extends object>(entity: Entity<S>): ApiModel<S> {
  const { project: _project, ...rest } = toApiModel(entity);
  return rest as ApiModel<S>;
}

/**
 * The store side of one identity kind: entities of an org, not of a project (IAM_PROJECT), created
 * READY. What is written is offered to AccessControl at once, so the
 * next call in this process is decided on it.
 */
export class IamEntities<S extends object> extends KindRepository<S> {
  constructor(
    store: EntityStore,
    private readonly access: AccessControl | undefined,
    kind: string,
    what: string,
  ) {
    super(store, kind, what);
  }

  protected override where(scope: RequestScope): RequestScope {
    return inOrg(scope.org);
  }

  override get(scope: RequestScope, name: string): Promise<Entity<S>> {
    return super.get(scope, name).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'NOT_FOUND')
        throw new DomainError('NOT_FOUND', `${this.what} ${name} not found in organization ${scope.org}`);
      throw err;
    });
  }

  override async create(scope: RequestScope, request: { name: string }, spec: S): Promise<Entity<S>> {
    return this.offered(await super.create(scope, { name: request.name }, spec, 'READY'));
  }

  override async update(current: Entity<S>, change: EntityChange<S>): Promise<Entity<S>> {
    return this.offered(await super.update(current, change));
  }

  private offered(entity: Entity<S>): Entity<S> {
    this.access?.offer(entity as Entity<unknown>);
    return entity;
  }
}
