import { Inject, Injectable } from '@nestjs/common';
import {
  APPLICATION_KIND,
  toApiModel,
  type Application,
  type ApplicationRequest,
  type Entity,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { KindCrud, KindRepository, type RequestScope, type UpdateRequest } from '@dispatch/platform';

type ApplicationSpec = Record<string, never>;

/**
 * Applications: a name grouping entities of every kind, which carry the tag `Application=<name>`.
 * Deleting one deletes only the application; its members stay (the CLI's `--cascade` deletes them,
 * each through its own API).
 */
@Injectable()
export class ApplicationService extends KindCrud<ApplicationSpec, Application, ApplicationRequest> {
  constructor(@Inject(ENTITY_STORE) store: EntityStore) {
    super(new KindRepository(store, APPLICATION_KIND, 'application'));
  }

  async create(scope: RequestScope, input: ApplicationRequest): Promise<Application> {
    return this.model(await this.entities.create(scope, input, {}, 'READY'));
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<ApplicationRequest>,
  ): Promise<Application> {
    const current = await this.entities.forUpdate(scope, name, input);
    return this.model(await this.entities.update(current, { tags: input.tags }));
  }

  protected model(entity: Entity<ApplicationSpec>): Application {
    return toApiModel(entity);
  }
}
