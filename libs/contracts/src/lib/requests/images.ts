import { z } from 'zod';
import { IMAGE_LANGUAGES } from '../models/image.js';
import { NAME_PATTERN } from '../entity.js';
import { nameField, tagsField, withV01Names } from './fields.js';

/**
 * A container image reference, `[registry[:port]/]repository[:tag][@sha256:digest]`, lowercase as
 * registries write repositories: what the knative CLI's `create image NAME <image URL>` sends as the
 * base image.
 */
export const IMAGE_REFERENCE_PATTERN =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d{1,5})?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::\w[\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Whether a base image field names a base image rather than a container image to make one from. */
export const isBaseImageName = (value: string): boolean => NAME_PATTERN.test(value);

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
    // A base image's name, or a container image reference: the base image of that URL, made if none is.
    baseImage: z
      .string({ error: 'baseImage is required (baseImageName in v0.1)' })
      .max(255, 'baseImage may be 255 characters at most')
      .refine((value) => isBaseImageName(value) || IMAGE_REFERENCE_PATTERN.test(value), {
        message: 'baseImage must name a base image, or be a container image reference (repository[:tag])',
      }),
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
