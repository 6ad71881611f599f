import { Inject, Injectable } from '@nestjs/common';
import {
  BASE_IMAGE_KIND,
  IMAGE_KIND,
  toApiModel,
  type BaseImageSpec,
  type Entity,
  type Image,
  type ImageSpec,
  type imageRequest,
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

type ImageRequest = z.output<typeof imageRequest>;

/** What the API shows of an image: not where its build lives on the host. */
function imageModel(entity: Entity<ImageSpec>): Image {
  const { backingObject: _where, ...spec } = entity.spec;
  return toApiModel({ ...entity, spec });
}

const specOf = (input: UpdateRequest<ImageRequest>): ImageSpec => ({
  baseImage: input.baseImage,
  runtimeDependencies: input.runtimeDependencies ?? {},
  systemDependencies: input.systemDependencies ?? {},
});

/** Images: a base image plus runtime dependencies and system packages, built once by the reconciler. */
@Injectable()
export class ImageService implements KindService<Image, ImageRequest> {
  private readonly images: KindRepository<ImageSpec>;
  private readonly baseImages: KindRepository<BaseImageSpec>;

  constructor(@Inject(ENTITY_STORE) store: EntityStore) {
    this.images = new KindRepository(store, IMAGE_KIND, 'image');
    this.baseImages = new KindRepository(store, BASE_IMAGE_KIND, 'base image');
  }

  async create(scope: RequestScope, input: ImageRequest): Promise<Image> {
    await this.baseImages.requireExisting(scope, input.baseImage);
    const { name, tags } = input;
    return imageModel(await this.images.create(scope, { name, tags, spec: specOf(input) }));
  }

  async get(scope: RequestScope, name: string): Promise<Image> {
    return imageModel(await this.images.get(scope, name));
  }

  async list(scope: RequestScope, { tags }: ListFilter): Promise<Image[]> {
    return (await this.images.list(scope, tags)).map(imageModel);
  }

  async update(scope: RequestScope, name: string, input: UpdateRequest<ImageRequest>): Promise<Image> {
    const current = await this.images.forUpdate(scope, name, input);
    await this.baseImages.requireExisting(scope, input.baseImage);
    return imageModel(
      await this.images.update(current, {
        tags: input.tags,
        // The build's own fields (language, imageURL, backingObject) stay until the rebuild.
        spec: { ...current.spec, ...specOf(input) },
        status: 'UPDATING',
        reason: [],
      }),
    );
  }

  async delete(scope: RequestScope, name: string): Promise<Image> {
    return imageModel(await this.images.markDeleting(scope, name));
  }
}
