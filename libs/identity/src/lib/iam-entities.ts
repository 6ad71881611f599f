import { DomainError, IAM_PROJECT, toApiModel, type ApiModel, type Entity } from '@dispatch/contracts';
import type { EntityStore } from '@dispatch/entity-store';
import type { AccessControl } from '@dispatch/auth';

/**
 * The store side of one identity kind: entities of an org, not of a project (IAM_PROJECT), created
 * READY, replaced whole on update, answered in the upstream model. What is written is offered to
 * AccessControl at once, so the next call in this process is decided on it.
 */
export class IamEntities<S extends object> {
  constructor(
    private readonly store: EntityStore,
    private readonly access: AccessControl | undefined,
    readonly kind: string,
    private readonly noun: string,
  ) {}

  async create(org: string, name: string, spec: S): Promise<Entity<S>> {
    return this.offered(
      await this.store.create<S>({ org, project: IAM_PROJECT, kind: this.kind, name, status: 'READY', spec }),
    );
  }

  get(org: string, name: string): Promise<Entity<S>> {
    return this.store.get<S>({ org, project: IAM_PROJECT, kind: this.kind, name }).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'NOT_FOUND')
        throw new DomainError('NOT_FOUND', `${this.noun} ${name} not found in organization ${org}`);
      throw err;
    });
  }

  async find(org: string, name: string): Promise<Entity<S> | undefined> {
    return this.get(org, name).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    });
  }

  list(org: string): Promise<Entity<S>[]> {
    return this.store.list<S>({ org, project: IAM_PROJECT, kind: this.kind });
  }

  async update(current: Entity<S>, spec: S): Promise<Entity<S>> {
    return this.offered(await this.store.update<S>({ ...current, spec }));
  }

  async delete(current: Entity<S>): Promise<void> {
    await this.store.delete(current, { revision: current.revision });
  }

  /** The upstream model: the spec's fields beside the envelope's, without the internal project. */
  model(entity: Entity<S>): ApiModel<S> {
    const { project: _project, ...rest } = toApiModel(entity);
    return rest as ApiModel<S>;
  }

  private offered(entity: Entity<S>): Entity<S> {
    this.access?.offer(entity as Entity<unknown>);
    return entity;
  }
}
