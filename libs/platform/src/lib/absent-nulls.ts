import { z } from 'zod';

/**
 * `value` with every `null` the schema takes as absent removed: a null where the schema has an optional
 * field that does not itself accept null. Go clients, and most generated from Swagger, send `null` for a
 * list, an object or a string they leave unset (the original Dispatch CLI sends `tags: null`,
 * `schema: {in: null}`), and the original server read them as absent. A null the schema accepts (a
 * nullable field, a free-form value such as a run's input) is kept, and a null in a required field
 * stays, for the check to name it. Returns a copy where anything is removed; `value` is not changed.
 */
export function withoutAbsentNulls(schema: z.ZodType, value: unknown): unknown {
  const inner = unwrapped(schema);
  if (inner instanceof z.ZodObject && isPlainObject(value)) {
    const shape = inner.shape as Record<string, z.ZodType>;
    const kept: [string, unknown][] = [];
    for (const [key, field] of Object.entries(value)) {
      const fieldSchema = Object.hasOwn(shape, key) ? shape[key] : undefined;
      if (!fieldSchema) kept.push([key, field]);
      else if (field !== null || !takesAbsent(fieldSchema) || fieldSchema.safeParse(null).success)
        kept.push([key, withoutAbsentNulls(fieldSchema, field)]);
    }
    // fromEntries defines each key as the object's own, `__proto__` included: an assignment would set
    // the copy's prototype from the body, and the check would read fields the body never had.
    return Object.fromEntries(kept);
  }
  if (inner instanceof z.ZodArray && Array.isArray(value))
    return value.map((item) => withoutAbsentNulls(inner.element as z.ZodType, item));
  if (inner instanceof z.ZodRecord && isPlainObject(value)) {
    const values = inner.valueType as z.ZodType;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutAbsentNulls(values, v)]));
  }
  return value;
}

/** Whether a field may be left out. */
function takesAbsent(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

/** The schema a value is checked against under optional, nullable, default and pipe wrappers. */
function unwrapped(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let depth = 0; depth < 20; depth += 1) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodReadonly
    ) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      // A preprocess is a transform before the schema; a transform is one after it.
      current = (current.in instanceof z.ZodTransform ? current.out : current.in) as z.ZodType;
    } else {
      return current;
    }
  }
  return current;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
