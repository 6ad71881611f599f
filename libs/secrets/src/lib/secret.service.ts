import { Inject, Injectable } from '@nestjs/common';
import {
  nameField,
  SECRET_KIND,
  tagsField,
  toApiModel,
  type Entity,
  type Secret,
  type SecretsResolver,
  type SecretValues,
  type Tag,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { parseBody, requireSameName, type RequestScope } from '@dispatch/platform';
import { z } from 'zod';
import { SecretCipher, type SealedValues } from './secret-cipher.js';

const values = z.record(z.string(), z.string({ error: 'each secret value must be a string' }), {
  error: 'secrets must be an object of names to string values',
});

const secretBody = z.object({
  name: nameField,
  secrets: values,
  tags: tagsField,
});

interface SecretSpec {
  sealed: SealedValues;
}

const identityOf = (ref: { org: string; project: string; name: string }) =>
  `${ref.org}/${ref.project}/${ref.name}`;

/**
 * Secrets: named sets of string values, sealed before they reach the store, opened only to answer the
 * API and to fill a run's `context.secrets`.
 */
@Injectable()
export class SecretService implements SecretsResolver {
  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    private readonly cipher: SecretCipher,
  ) {}

  async create(scope: RequestScope, body: unknown): Promise<Secret> {
    const input = parseBody(secretBody, body, 'secret');
    const entity = await this.store.create<SecretSpec>({
      ...scope,
      kind: SECRET_KIND,
      name: input.name,
      tags: input.tags,
      status: 'READY',
      spec: { sealed: this.cipher.seal(input.secrets, identityOf({ ...scope, name: input.name })) },
    });
    return this.model(entity);
  }

  async get(scope: RequestScope, name: string): Promise<Secret> {
    return this.model(await this.read(scope, name));
  }

  async list(scope: RequestScope, tagFilter: Tag[]): Promise<Secret[]> {
    const all = await this.store.list<SecretSpec>({ ...scope, kind: SECRET_KIND, tags: tagFilter });
    return all.map((e) => this.model(e));
  }

  /** Replaces the values (and the tags, when given). */
  async update(scope: RequestScope, name: string, body: unknown): Promise<Secret> {
    const input = parseBody(secretBody, { name, ...(body as object) }, 'secret');
    requireSameName('secret', input.name, name);
    const current = await this.read(scope, name);
    const updated = await this.store.update<SecretSpec>({
      ...current,
      tags: input.tags ?? current.tags,
      spec: { sealed: this.cipher.seal(input.secrets, identityOf(current)) },
    });
    return this.model(updated);
  }

  async delete(scope: RequestScope, name: string): Promise<void> {
    const current = await this.read(scope, name);
    await this.store.delete(current, { revision: current.revision });
  }

  /** `context.secrets` of a run: the named secrets' values merged in order, later names winning. */
  async resolve(org: string, project: string, names: string[]): Promise<SecretValues> {
    const merged: SecretValues = {};
    for (const name of new Set(names))
      Object.assign(merged, this.open(await this.read({ org, project }, name)));
    return merged;
  }

  /** The store's NOT_FOUND already names the kind, the name and the org/project. */
  private read(scope: RequestScope, name: string): Promise<Entity<SecretSpec>> {
    return this.store.get<SecretSpec>({ ...scope, kind: SECRET_KIND, name });
  }

  private open(entity: Entity<SecretSpec>): SecretValues {
    return this.cipher.open(entity.spec.sealed, identityOf(entity));
  }

  private model(entity: Entity<SecretSpec>): Secret {
    const { sealed: _sealed, ...rest } = toApiModel(entity);
    return {
      ...rest,
      secrets: this.open(entity),
      meta: {
        name: entity.name,
        org: entity.org,
        project: entity.project,
        tags: entity.tags,
        createdTime: entity.createdTime,
        modifiedTime: entity.modifiedTime,
        revision: String(entity.revision),
      },
    };
  }
}
