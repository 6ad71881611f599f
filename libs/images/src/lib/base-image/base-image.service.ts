import { Inject, Injectable } from '@nestjs/common';
import {
  BASE_IMAGE_KIND,
  toApiModel,
  type BaseImage,
  type BaseImageSpec,
  type baseImageRequest,
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

type BaseImageRequest = z.output<typeof baseImageRequest>;

const specOf = (input: UpdateRequest<BaseImageRequest>): BaseImageSpec => ({
  imageURL: input.imageURL,
  language: input.language,
});

/** Base images: a language runtime (and the container image that carries it on Kubernetes). */
@Injectable()
export class BaseImageService implements KindService<BaseImage, BaseImageRequest> {
  private readonly baseImages: KindRepository<BaseImageSpec>;

  constructor(@Inject(ENTITY_STORE) store: EntityStore) {
    this.baseImages = new KindRepository(store, BASE_IMAGE_KIND, 'base image');
  }

  async create(scope: RequestScope, input: BaseImageRequest): Promise<BaseImage> {
    const { name, tags } = input;
    return toApiModel(await this.baseImages.create(scope, { name, tags, spec: specOf(input) }));
  }

  async get(scope: RequestScope, name: string): Promise<BaseImage> {
    return toApiModel(await this.baseImages.get(scope, name));
  }

  async list(scope: RequestScope, { tags }: ListFilter): Promise<BaseImage[]> {
    return (await this.baseImages.list(scope, tags)).map((e) => toApiModel(e));
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<BaseImageRequest>,
  ): Promise<BaseImage> {
    const current = await this.baseImages.forUpdate(scope, name, input);
    return toApiModel(
      await this.baseImages.update(current, {
        tags: input.tags,
        spec: specOf(input),
        status: 'UPDATING',
        reason: [],
      }),
    );
  }

  /** Marks the base image for deletion; the reconciler removes it. */
  async delete(scope: RequestScope, name: string): Promise<BaseImage> {
    return toApiModel(await this.baseImages.markDeleting(scope, name));
  }
}
