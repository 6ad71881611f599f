import { z } from 'zod';
import { IMAGE_LANGUAGES } from '../models/image.js';
import { nameField, referenceField, tagsField, withV01Names } from './fields.js';

/** `POST /v1/baseimage` and `PUT /v1/baseimage/{name}`. */
export const baseImageRequest = withV01Names(
  z.object({
    name: nameField,
    imageURL: z
      .string({ error: 'imageURL (dockerUrl in v0.1) is required' })
      .min(1, 'imageURL (dockerUrl in v0.1) is required'),
    language: z.enum(IMAGE_LANGUAGES, { error: `language must be one of ${IMAGE_LANGUAGES.join(', ')}` }),
    tags: tagsField,
  }),
  { dockerUrl: 'imageURL' },
);
export type BaseImageRequest = z.input<typeof baseImageRequest>;

/** `POST /v1/image` and `PUT /v1/image/{name}`: a base image plus dependencies. */
export const imageRequest = withV01Names(
  z.object({
    name: nameField,
    baseImage: referenceField('baseImage', 'a base image', ' (baseImageName in v0.1)'),
    runtimeDependencies: z.object({ manifest: z.string().optional() }).optional(),
    systemDependencies: z
      .object({
        packages: z.array(z.object({ name: z.string().min(1), version: z.string().optional() })).optional(),
      })
      .optional(),
    tags: tagsField,
  }),
  { baseImageName: 'baseImage' },
);
export type ImageRequest = z.input<typeof imageRequest>;
