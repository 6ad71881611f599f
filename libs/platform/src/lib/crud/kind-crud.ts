import type { Caller, Entity } from '@dispatch/contracts';
import type { RequestScope } from '../request-scope.js';
import type { KindService, ListFilter, UpdateRequest } from './crud-controller.js';
import type { WatchEmit } from './entity-watches.js';
import type { KindRepository } from './kind-repository.js';

/**
 * A kind's service, of which a domain writes only what is its own: how a request becomes a stored
 * entity (create, update) and what the API shows of one (model). Reading, listing and deleting are
 * the same for every kind, through its repository.
 */
export abstract class KindCrud<Spec, Model, Request extends { name: string }> implements KindService<
  Model,
  Request
> {
  constructor(protected readonly entities: KindRepository<Spec>) {}

  abstract create(scope: RequestScope, input: Request, caller?: Caller): Promise<Model>;

  abstract update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<Request>,
    caller?: Caller,
  ): Promise<Model>;

  /** What the API shows of a stored entity. */
  protected abstract model(entity: Entity<Spec>): Model;

  /** Each change of the kind in the project from now on, as the API shows it (watch=true of the list). */
  watch(scope: RequestScope, emit: WatchEmit): Promise<{ close(): Promise<void> }> {
    return this.entities.watch(scope, (event) => {
      if (event.type === 'put') emit('put', this.model(event.entity));
      else emit('delete', { name: event.ref.name });
    });
  }

  async get(scope: RequestScope, name: string): Promise<Model> {
    return this.model(await this.entities.get(scope, name));
  }

  /** `?function=` keeps the entities whose spec names that function (endpoints, subscriptions). */
  async list(scope: RequestScope, filter: ListFilter): Promise<Model[]> {
    const all = await this.entities.list(scope, filter.tags);
    return all
      .filter(
        (e) =>
          filter.function === undefined || (e.spec as { function?: string }).function === filter.function,
      )
      .map((e) => this.model(e));
  }

  async delete(scope: RequestScope, name: string, _caller?: Caller): Promise<Model | void> {
    return this.model(await this.entities.delete(scope, name));
  }
}
