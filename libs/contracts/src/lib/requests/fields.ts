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
  z.string({ error: `${field} is required${hint}` }).regex(NAME_PATTERN, `${field} must name ${what}`);

/** A true/false field, named in its error. */
export const flagField = (field: string) => z.boolean({ error: `${field} must be true or false` }).optional();

/** What a request schema records of the original v0.1 API's names for its fields. */
interface V01Meta {
  v01Names?: Record<string, string>;
}

/**
 * A request schema that also reads the names the original v0.1 API gave its fields (`dockerUrl` where
 * the knative line says `imageURL`), so clients of either line are served on the same routes: the
 * names ride on the schema as metadata and `renamedV01` (which the platform's body check calls) reads
 * them. `names` maps each v0.1 name to the knative one.
 */
export function withV01Names<S extends z.ZodObject>(
  schema: S,
  names: Record<string, keyof S['shape'] & string>,
): S {
  return schema.meta({ v01Names: names } satisfies V01Meta);
}

/** The v0.1 names a request schema reads (withV01Names), if any. */
export function v01NamesOf(schema: z.ZodType): Record<string, string> | undefined {
  return (schema.meta() as V01Meta | undefined)?.v01Names;
}

/**
 * `body` with each v0.1 name in `names` under its knative one, when the knative one is absent (or
 * null, as generated clients leave it); a copy when anything moved, `body` itself otherwise.
 */
export function renamedV01(body: unknown, names: Record<string, string> | undefined): unknown {
  if (!names || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const fields = body as Record<string, unknown>;
  const moved = Object.entries(names).filter(
    ([old, current]) =>
      Object.hasOwn(fields, old) && (fields[current] === undefined || fields[current] === null),
  );
  if (moved.length === 0) return body;
  // fromEntries keeps every key the body's own (`__proto__` too) rather than setting a prototype.
  const copy = Object.fromEntries(Object.entries(fields).filter(([key]) => !Object.hasOwn(names, key)));
  for (const [old, current] of moved) copy[current] = fields[old];
  return copy;
}
