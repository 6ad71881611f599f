import { Inject, Injectable } from '@nestjs/common';
import {
  BASE_IMAGE_KIND,
  IMAGE_LANGUAGES,
  nameField,
  tagsField,
  toApiModel,
  type BaseImage,
  type BaseImageSpec,
  type Tag,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { parseBody, requireSameName, type RequestScope } from '@dispatch/platform';
import { z } from 'zod';

const baseImageBody = z.object({
  name: nameField,
  imageURL: z.string({ error: 'imageURL is required' }).min(1, 'imageURL is required'),
  language: z.enum(IMAGE_LANGUAGES, { error: `language must be one of ${IMAGE_LANGUAGES.join(', ')}` }),
  tags: tagsField,
});

/** Base images: a language runtime (and the container image that carries it on Kubernetes). */
@Injectable()
export class BaseImageService {
  constructor(@Inject(ENTITY_STORE) private readonly store: EntityStore) {}

  async create(scope: RequestScope, body: unknown): Promise<BaseImage> {
    const input = parseBody(baseImageBody, body, 'base image');
    const entity = await this.store.create<BaseImageSpec>({
      ...scope,
      kind: BASE_IMAGE_KIND,
      name: input.name,
      tags: input.tags,
      spec: { imageURL: input.imageURL, language: input.language },
    });
    return toApiModel(entity);
  }

  async get(scope: RequestScope, name: string): Promise<BaseImage> {
    return toApiModel(await this.store.get<BaseImageSpec>({ ...scope, kind: BASE_IMAGE_KIND, name }));
  }

  async list(scope: RequestScope, tagFilter: Tag[]): Promise<BaseImage[]> {
    const all = await this.store.list<BaseImageSpec>({ ...scope, kind: BASE_IMAGE_KIND, tags: tagFilter });
    return all.map((e) => toApiModel(e));
  }

  async update(scope: RequestScope, name: string, body: unknown): Promise<BaseImage> {
    const input = parseBody(baseImageBody, { name, ...(body as object) }, 'base image');
    requireSameName('base image', input.name, name);
    const current = await this.store.get<BaseImageSpec>({ ...scope, kind: BASE_IMAGE_KIND, name });
    const updated = await this.store.update<BaseImageSpec>({
      ...current,
      tags: input.tags ?? current.tags,
      spec: { imageURL: input.imageURL, language: input.language },
      status: 'UPDATING',
      reason: [],
    });
    return toApiModel(updated);
  }

  /** Marks the base image for deletion; the reconciler removes it. */
  async delete(scope: RequestScope, name: string): Promise<BaseImage> {
    const current = await this.store.get<BaseImageSpec>({ ...scope, kind: BASE_IMAGE_KIND, name });
    return toApiModel(await this.store.update({ ...current, status: 'DELETING' }));
  }
}
