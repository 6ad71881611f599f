import { Inject, Injectable } from '@nestjs/common';
import {
  SECRET_KIND,
  toApiModel,
  type Entity,
  type Secret,
  type secretRequest,
  type SecretsResolver,
  type SecretValues,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import {
  KindRepository,
  type KindService,
  type ListFilter,
  type RequestScope,
  type UpdateRequest,
} from '@dispatch/platform';
import type { z } from 'zod';
import { SecretCipher, type SealedValues } from './secret-cipher.js';

type SecretRequest = z.output<typeof secretRequest>;

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
export class SecretService implements KindService<Secret, SecretRequest>, SecretsResolver {
  private readonly secrets: KindRepository<SecretSpec>;

  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    private readonly cipher: SecretCipher,
  ) {
    this.secrets = new KindRepository(store, SECRET_KIND, 'secret');
  }

  async create(scope: RequestScope, input: SecretRequest): Promise<Secret> {
    const sealed = this.cipher.seal(input.secrets, identityOf({ ...scope, name: input.name }));
    const { name, tags } = input;
    return this.model(await this.secrets.create(scope, { name, tags, status: 'READY', spec: { sealed } }));
  }

  async get(scope: RequestScope, name: string): Promise<Secret> {
    return this.model(await this.secrets.get(scope, name));
  }

  async list(scope: RequestScope, { tags }: ListFilter): Promise<Secret[]> {
    return (await this.secrets.list(scope, tags)).map((e) => this.model(e));
  }

  /** Replaces the values (and the tags, when given). */
  async update(scope: RequestScope, name: string, input: UpdateRequest<SecretRequest>): Promise<Secret> {
    const current = await this.secrets.forUpdate(scope, name, input);
    const sealed = this.cipher.seal(input.secrets, identityOf(current));
    return this.model(await this.secrets.update(current, { tags: input.tags, spec: { sealed } }));
  }

  async delete(scope: RequestScope, name: string): Promise<void> {
    await this.secrets.delete(scope, name);
  }

  /** `context.secrets` of a run: the named secrets' values merged in order, later names winning. */
  async resolve(org: string, project: string, names: string[]): Promise<SecretValues> {
    const merged: SecretValues = {};
    for (const name of new Set(names))
      Object.assign(merged, this.open(await this.secrets.get({ org, project }, name)));
    return merged;
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
