import { Inject, Injectable } from '@nestjs/common';
import {
  SECRET_KIND,
  toApiModel,
  type Entity,
  type Secret,
  type SecretRequest,
  type SecretsResolver,
  type SecretValues,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { KindCrud, KindRepository, type RequestScope, type UpdateRequest } from '@dispatch/platform';
import { SecretCipher, type SealedValues } from './secret-cipher.js';

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
export class SecretService extends KindCrud<SecretSpec, Secret, SecretRequest> implements SecretsResolver {
  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    private readonly cipher: SecretCipher,
  ) {
    super(new KindRepository(store, SECRET_KIND, 'secret'));
  }

  async create(scope: RequestScope, input: SecretRequest): Promise<Secret> {
    const sealed = this.cipher.seal(input.secrets, identityOf({ ...scope, name: input.name }));
    return this.model(await this.entities.create(scope, input, { sealed }, 'READY'));
  }

  /** Replaces the values (and the tags, when given). */
  async update(scope: RequestScope, name: string, input: UpdateRequest<SecretRequest>): Promise<Secret> {
    const current = await this.entities.forUpdate(scope, name, input);
    const sealed = this.cipher.seal(input.secrets, identityOf(current));
    return this.model(await this.entities.update(current, { tags: input.tags, spec: { sealed } }));
  }

  /** Answers nothing (204, as the upstream API): the values are not shown again on their way out. */
  override async delete(scope: RequestScope, name: string): Promise<void> {
    await this.entities.delete(scope, name);
  }

  /** `context.secrets` of a run: the named secrets' values merged in order, later names winning. */
  async resolve(org: string, project: string, names: string[]): Promise<SecretValues> {
    const merged: SecretValues = {};
    for (const name of new Set(names))
      Object.assign(merged, this.open(await this.entities.get({ org, project }, name)));
    return merged;
  }

  private open(entity: Entity<SecretSpec>): SecretValues {
    return this.cipher.open(entity.spec.sealed, identityOf(entity));
  }

  protected model(entity: Entity<SecretSpec>): Secret {
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
