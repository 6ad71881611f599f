import { Inject, Injectable } from '@nestjs/common';
import {
  BASE_IMAGE_KIND,
  IMAGE_KIND,
  toApiModel,
  type BaseImageSpec,
  type Entity,
  type Image,
  type ImageRequest,
  type ImageSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { KindCrud, KindRepository, type RequestScope, type UpdateRequest } from '@dispatch/platform';

const specOf = (input: UpdateRequest<ImageRequest>): ImageSpec => ({
  baseImage: input.baseImage,
  runtimeDependencies: input.runtimeDependencies ?? {},
  systemDependencies: input.systemDependencies ?? {},
});

/**
 * Images: a base image plus runtime dependencies and system packages, built once by the reconciler,
 * which also removes a deleted one with its build.
 */
@Injectable()
export class ImageService extends KindCrud<ImageSpec, Image, ImageRequest> {
  private readonly baseImages: KindRepository<BaseImageSpec>;

  constructor(@Inject(ENTITY_STORE) store: EntityStore) {
    super(new KindRepository(store, IMAGE_KIND, 'image', 'reconciled'));
    this.baseImages = new KindRepository(store, BASE_IMAGE_KIND, 'base image');
  }

  async create(scope: RequestScope, input: ImageRequest): Promise<Image> {
    await this.baseImages.requireExisting(scope, input.baseImage);
    return this.model(await this.entities.create(scope, input, specOf(input)));
  }

  async update(scope: RequestScope, name: string, input: UpdateRequest<ImageRequest>): Promise<Image> {
    const current = await this.entities.forUpdate(scope, name, input);
    await this.baseImages.requireExisting(scope, input.baseImage);
    return this.model(
      await this.entities.update(current, {
        tags: input.tags,
        // The build's own fields (language, imageURL, backingObject) stay until the rebuild.
        spec: { ...current.spec, ...specOf(input) },
        status: 'UPDATING',
        reason: [],
      }),
    );
  }

  /** What the API shows of an image: not where its build lives on the host. */
  protected model(entity: Entity<ImageSpec>): Image {
    const { backingObject: _where, ...spec } = entity.spec;
    return toApiModel({ ...entity, spec });
  }
}
