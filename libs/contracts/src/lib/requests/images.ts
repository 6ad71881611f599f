import { z } from 'zod';
import { IMAGE_LANGUAGES } from '../models/image.js';
import { nameField, referenceField, tagsField } from './fields.js';

/** `POST /v1/baseimage` and `PUT /v1/baseimage/{name}`. */
export const baseImageRequest = z.object({
  name: nameField,
  imageURL: z.string({ error: 'imageURL is required' }).min(1, 'imageURL is required'),
  language: z.enum(IMAGE_LANGUAGES, { error: `language must be one of ${IMAGE_LANGUAGES.join(', ')}` }),
  tags: tagsField,
});
export type BaseImageRequest = z.input<typeof baseImageRequest>;

/** `POST /v1/image` and `PUT /v1/image/{name}`: a base image plus dependencies. */
export const imageRequest = z.object({
  name: nameField,
  baseImage: referenceField('baseImage', 'a base image'),
  runtimeDependencies: z.object({ manifest: z.string().optional() }).optional(),
  systemDependencies: z
    .object({
      packages: z.array(z.object({ name: z.string().min(1), version: z.string().optional() })).optional(),
    })
    .optional(),
  tags: tagsField,
});
export type ImageRequest = z.input<typeof imageRequest>;
