import { z } from 'zod';
import { nameField, referenceField, secretNamesField, tagsField } from './fields.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SOURCE_REQUIRED = 'source is required (the code as a base64 gzipped tar)';

/** `POST /v1/function` and `PUT /v1/function/{name}`: code (a base64 gzipped tar) on an image. */
export const functionRequest = z.object({
  name: nameField,
  image: referenceField('image', 'an image'),
  handler: z.string().optional(),
  source: z.string({ error: SOURCE_REQUIRED }).min(1, SOURCE_REQUIRED).regex(BASE64, 'source must be base64'),
  schema: z
    .object({
      in: z.record(z.string(), z.unknown()).optional(),
      out: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  secrets: secretNamesField,
  timeout: z
    .number()
    .int('timeout is whole milliseconds')
    .positive('timeout must be positive')
    .max(15 * 60_000)
    .optional(),
  tags: tagsField,
});
export type FunctionRequest = z.input<typeof functionRequest>;

/** `POST /v1/application` and `PUT /v1/application/{name}`. */
export const applicationRequest = z.object({ name: nameField, tags: tagsField });
export type ApplicationRequest = z.input<typeof applicationRequest>;
