import { Inject, Injectable } from '@nestjs/common';
import {
  APPLICATION_KIND,
  nameField,
  tagsField,
  toApiModel,
  type Application,
  type Entity,
  type Tag,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { parseBody, requireSameName, type RequestScope } from '@dispatch/platform';
import { z } from 'zod';

const applicationBody = z.object({
  name: nameField,
  tags: tagsField,
});

/**
 * Applications: a name grouping entities of every kind, which carry the tag `Application=<name>`.
 * Deleting one deletes only the application; its members stay (the CLI's `--cascade` deletes them,
 * each through its own API).
 */
@Injectable()
export class ApplicationService {
  constructor(@Inject(ENTITY_STORE) private readonly store: EntityStore) {}

  async create(scope: RequestScope, body: unknown): Promise<Application> {
    const input = parseBody(applicationBody, body, 'application');
    const entity = await this.store.create<Record<string, never>>({
      ...scope,
      kind: APPLICATION_KIND,
      name: input.name,
      tags: input.tags,
      status: 'READY',
      spec: {},
    });
    return toApiModel(entity);
  }

  async get(scope: RequestScope, name: string): Promise<Application> {
    return toApiModel(await this.read(scope, name));
  }

  async list(scope: RequestScope, tags: Tag[]): Promise<Application[]> {
    const all = await this.store.list<Record<string, never>>({ ...scope, kind: APPLICATION_KIND, tags });
    return all.map((e) => toApiModel(e));
  }

  async update(scope: RequestScope, name: string, body: unknown): Promise<Application> {
    const input = parseBody(applicationBody, { name, ...(body as object) }, 'application');
    requireSameName('application', input.name, name);
    const current = await this.read(scope, name);
    return toApiModel(await this.store.update({ ...current, tags: input.tags ?? current.tags }));
  }

  async delete(scope: RequestScope, name: string): Promise<Application> {
    const current = await this.read(scope, name);
    await this.store.delete(current, { revision: current.revision });
    return toApiModel(current);
  }

  /** The store's NOT_FOUND already names the kind, the name and the org/project. */
  private read(scope: RequestScope, name: string): Promise<Entity<Record<string, never>>> {
    return this.store.get<Record<string, never>>({ ...scope, kind: APPLICATION_KIND, name });
  }
}
