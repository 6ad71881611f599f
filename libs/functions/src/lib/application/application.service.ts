import { Inject, Injectable } from '@nestjs/common';
import { APPLICATION_KIND, toApiModel, type Application, type applicationRequest } from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import {
  KindRepository,
  type KindService,
  type ListFilter,
  type RequestScope,
  type UpdateRequest,
} from '@dispatch/platform';
import type { z } from 'zod';

type ApplicationRequest = z.output<typeof applicationRequest>;

/**
 * Applications: a name grouping entities of every kind, which carry the tag `Application=<name>`.
 * Deleting one deletes only the application; its members stay (the CLI's `--cascade` deletes them,
 * each through its own API).
 */
@Injectable()
export class ApplicationService implements KindService<Application, ApplicationRequest> {
  private readonly applications: KindRepository<Record<string, never>>;

  constructor(@Inject(ENTITY_STORE) store: EntityStore) {
    this.applications = new KindRepository(store, APPLICATION_KIND, 'application');
  }

  async create(scope: RequestScope, { name, tags }: ApplicationRequest): Promise<Application> {
    return toApiModel(await this.applications.create(scope, { name, tags, status: 'READY', spec: {} }));
  }

  async get(scope: RequestScope, name: string): Promise<Application> {
    return toApiModel(await this.applications.get(scope, name));
  }

  async list(scope: RequestScope, { tags }: ListFilter): Promise<Application[]> {
    return (await this.applications.list(scope, tags)).map((e) => toApiModel(e));
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<ApplicationRequest>,
  ): Promise<Application> {
    const current = await this.applications.forUpdate(scope, name, input);
    return toApiModel(await this.applications.update(current, { tags: input.tags }));
  }

  async delete(scope: RequestScope, name: string): Promise<Application> {
    return toApiModel(await this.applications.delete(scope, name));
  }
}
