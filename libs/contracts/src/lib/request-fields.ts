import { z } from 'zod';
import { NAME_PATTERN } from './entity.js';

// The fields request bodies share, written once: each domain's body schema is built from these.

/** An entity's own name in a request body. */
export const nameField = z
  .string({ error: 'name is required' })
  .regex(NAME_PATTERN, 'name may hold letters, digits, _ and -');

/** A body's tags: `{key, value}` pairs, to filter lists by. */
export const tagsField = z.array(z.object({ key: z.string().min(1), value: z.string() })).optional();

/** One secret's name, as a function, a subscription or a driver names the secrets it uses. */
export const secretNameField = z
  .string()
  .regex(NAME_PATTERN, 'a secret name may hold letters, digits, _ and -');
