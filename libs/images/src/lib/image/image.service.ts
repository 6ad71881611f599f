import { Inject, Injectable, Optional } from '@nestjs/common';
import { AccessControl } from '@dispatch/auth';
import {
  BASE_IMAGE_KIND,
  IMAGE_KIND,
  isBaseImageName,
  toApiModel,
  type BaseImageSpec,
  type Caller,
  type Entity,
  type Image,
  type ImageRequest,
  type ImageSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { KindCrud, KindRepository, type RequestScope, type UpdateRequest } from '@dispatch/platform';
import { BaseImageFromUrl } from './base-image-from-url.js';

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
  private readonly fromUrl: BaseImageFromUrl;

  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    // Where policies are enforced (every shape but a bare test module), making a base image needs them.
    @Optional() access?: AccessControl,
  ) {
    super(new KindRepository(store, IMAGE_KIND, 'image', 'reconciled'));
    this.baseImages = new KindRepository(store, BASE_IMAGE_KIND, 'base image');
    this.fromUrl = new BaseImageFromUrl(this.baseImages, access);
  }

  async create(scope: RequestScope, input: ImageRequest, caller?: Caller): Promise<Image> {
    const baseImage = await this.baseImageOf(scope, input.baseImage, caller);
    return this.model(await this.entities.create(scope, input, specOf({ ...input, baseImage })));
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<ImageRequest>,
    caller?: Caller,
  ): Promise<Image> {
    const current = await this.entities.forUpdate(scope, name, input);
    input = { ...input, baseImage: await this.baseImageOf(scope, input.baseImage, caller) };
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

  /** The base image's name: as given, or that of the base image of a container image reference. */
  private async baseImageOf(scope: RequestScope, baseImage: string, caller?: Caller): Promise<string> {
    if (!isBaseImageName(baseImage)) return this.fromUrl.nameFor(scope, baseImage, caller);
    await this.baseImages.requireExisting(scope, baseImage);
    return baseImage;
  }

  /** What the API shows of an image: not where its build lives on the host. */
  protected model(entity: Entity<ImageSpec>): Image {
    const { backingObject: _where, ...spec } = entity.spec;
    return toApiModel({ ...entity, spec });
  }
}
