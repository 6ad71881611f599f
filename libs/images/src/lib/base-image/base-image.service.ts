import { Inject, Injectable } from '@nestjs/common';
import {
  BASE_IMAGE_KIND,
  toApiModel,
  type BaseImage,
  type BaseImageRequest,
  type BaseImageSpec,
  type Entity,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { KindCrud, KindRepository, type RequestScope, type UpdateRequest } from '@dispatch/platform';

const specOf = (input: UpdateRequest<BaseImageRequest>): BaseImageSpec => ({
  imageURL: input.imageURL,
  language: input.language,
});

/**
 * Base images: a language runtime (and the container image that carries it on Kubernetes). Deleting
 * one marks it; the reconciler removes it.
 */
@Injectable()
export class BaseImageService extends KindCrud<BaseImageSpec, BaseImage, BaseImageRequest> {
  constructor(@Inject(ENTITY_STORE) store: EntityStore) {
    super(new KindRepository(store, BASE_IMAGE_KIND, 'base image', 'reconciled'));
  }

  async create(scope: RequestScope, input: BaseImageRequest): Promise<BaseImage> {
    return this.model(await this.entities.create(scope, input, specOf(input)));
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<BaseImageRequest>,
  ): Promise<BaseImage> {
    const current = await this.entities.forUpdate(scope, name, input);
    const change = { tags: input.tags, spec: specOf(input), status: 'UPDATING' as const, reason: [] };
    return this.model(await this.entities.update(current, change));
  }

  protected model(entity: Entity<BaseImageSpec>): BaseImage {
    return toApiModel(entity);
  }
}
