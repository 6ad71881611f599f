import { Inject, Injectable } from '@nestjs/common';
import {
  BASE_IMAGE_KIND,
  IMAGE_KIND,
  NAME_PATTERN,
  nameField,
  tagsField,
  toApiModel,
  type Entity,
  type Image,
  type ImageSpec,
  type Tag,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { parseBody, requireExisting, requireSameName, type RequestScope } from '@dispatch/platform';
import { z } from 'zod';

const imageBody = z.object({
  name: nameField,
  baseImage: z
    .string({ error: 'baseImage is required' })
    .regex(NAME_PATTERN, 'baseImage must name a base image'),
  runtimeDependencies: z.object({ manifest: z.string().optional() }).optional(),
  systemDependencies: z
    .object({
      packages: z.array(z.object({ name: z.string().min(1), version: z.string().optional() })).optional(),
    })
    .optional(),
  tags: tagsField,
});

/** What the API shows of an image: not where its build lives on the host. */
function imageModel(entity: Entity<ImageSpec>): Image {
  const { backingObject: _where, ...spec } = entity.spec;
  return toApiModel({ ...entity, spec });
}

/** Images: a base image plus runtime dependencies and system packages, built once by the reconciler. */
@Injectable()
export class ImageService {
  constructor(@Inject(ENTITY_STORE) private readonly store: EntityStore) {}

  async create(scope: RequestScope, body: unknown): Promise<Image> {
    const input = parseBody(imageBody, body, 'image');
    await requireExisting(this.store, scope, {
      kind: BASE_IMAGE_KIND,
      name: input.baseImage,
      what: 'base image',
    });
    const entity = await this.store.create<ImageSpec>({
      ...scope,
      kind: IMAGE_KIND,
      name: input.name,
      tags: input.tags,
      spec: {
        baseImage: input.baseImage,
        runtimeDependencies: input.runtimeDependencies ?? {},
        systemDependencies: input.systemDependencies ?? {},
      },
    });
    return imageModel(entity);
  }

  async get(scope: RequestScope, name: string): Promise<Image> {
    return imageModel(await this.store.get<ImageSpec>({ ...scope, kind: IMAGE_KIND, name }));
  }

  async list(scope: RequestScope, tagFilter: Tag[]): Promise<Image[]> {
    return (await this.store.list<ImageSpec>({ ...scope, kind: IMAGE_KIND, tags: tagFilter })).map(
      imageModel,
    );
  }

  async update(scope: RequestScope, name: string, body: unknown): Promise<Image> {
    const input = parseBody(imageBody, { name, ...(body as object) }, 'image');
    requireSameName('image', input.name, name);
    await requireExisting(this.store, scope, {
      kind: BASE_IMAGE_KIND,
      name: input.baseImage,
      what: 'base image',
    });
    const current = await this.store.get<ImageSpec>({ ...scope, kind: IMAGE_KIND, name });
    return imageModel(
      await this.store.update<ImageSpec>({
        ...current,
        tags: input.tags ?? current.tags,
        spec: {
          ...current.spec,
          baseImage: input.baseImage,
          runtimeDependencies: input.runtimeDependencies ?? {},
          systemDependencies: input.systemDependencies ?? {},
        },
        status: 'UPDATING',
        reason: [],
      }),
    );
  }

  async delete(scope: RequestScope, name: string): Promise<Image> {
    const current = await this.store.get<ImageSpec>({ ...scope, kind: IMAGE_KIND, name });
    return imageModel(await this.store.update({ ...current, status: 'DELETING' }));
  }
}
