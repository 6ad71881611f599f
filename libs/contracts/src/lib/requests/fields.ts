import { z } from 'zod';
import { NAME_PATTERN } from '../entity.js';

// The fields request bodies share, written once: each kind's request schema is built from these.

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

/** The secrets a function, a subscription or a driver hands to what it runs. */
export const secretNamesField = z
  .array(secretNameField, { error: 'secrets must be a list of secret names' })
  .optional();

/** A field naming another entity (`image` of a function, `function` of an endpoint), with what it names. */
export const referenceField = (field: string, what: string, hint = '') =>
  z
    .string({ error: `${field} is required${hint}` })
    .regex(NAME_PATTERN, `${field} must name ${what}`);

/** A true/false field, named in its error. */
export const flagField = (field: string) =>
  z.boolean({ error: `${field} must be true or false` }).optional();
