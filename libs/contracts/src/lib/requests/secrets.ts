import { z } from 'zod';
import { nameField, tagsField } from './fields.js';

/** `POST /v1/secret` and `PUT /v1/secret/{name}`: names to string values. */
export const secretRequest = z.object({
  name: nameField,
  secrets: z.record(z.string(), z.string({ error: 'each secret value must be a string' }), {
    error: 'secrets must be an object of names to string values',
  }),
  tags: tagsField,
});
export type SecretRequest = z.input<typeof secretRequest>;
