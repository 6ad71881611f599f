import { DomainError, renamedV01, v01NamesOf, type Tag } from '@dispatch/contracts';
import type { z } from 'zod';
import { withoutAbsentNulls } from './absent-nulls.js';

/** `?tags=key=value` (repeatable), as the upstream API filters lists. */
export function parseTagFilter(raw: string | string[] | undefined): Tag[] {
  const items = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return items.map((item) => {
    const i = item.indexOf('=');
    if (i <= 0)
      throw new DomainError('INVALID_ARGUMENT', `invalid tag filter ${JSON.stringify(item)}: use key=value`);
    return { key: item.slice(0, i), value: item.slice(i + 1) };
  });
}

/**
 * Validates a request body, answering 400 with the first problem and where it is. The v0.1 API's names
 * for fields are read as the knative ones (`names`, the schema's own by default: withV01Names). A body
 * that fails is checked again with the nulls its schema takes as absent removed (withoutAbsentNulls), as
 * generated clients send them; a body that passes, the hot path's, is walked once.
 */
export function parseBody<T>(
  schema: z.ZodType<T>,
  body: unknown,
  what: string,
  names: Record<string, string> | undefined = v01NamesOf(schema),
): T {
  const given = renamedV01(body ?? {}, names);
  const first = schema.safeParse(given);
  if (first.success) return first.data;
  const result = schema.safeParse(withoutAbsentNulls(schema, given));
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new DomainError('INVALID_ARGUMENT', `invalid ${what}: ${where}${issue?.message ?? 'malformed'}`);
}

/**
 * How deeply a request's JSON may nest. Real inputs nest a few levels; thousands of levels only serve
 * to overflow the stack of whatever walks the value next (a schema check, a store's encoder, a
 * language runner's parser), so they are refused at the door.
 */
export const MAX_JSON_DEPTH = 100;

/**
 * A request body's JSON: INVALID_ARGUMENT (400) when it is not JSON, naming where, or when it nests
 * deeper than MAX_JSON_DEPTH.
 */
export function parseJson(text: string, what = 'the request body'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DomainError('INVALID_ARGUMENT', `${what} is not valid JSON: ${(err as Error).message}`);
  }
  // Each level takes two characters at least: a short text cannot nest too deep, and most bodies are short.
  if (text.length > 2 * MAX_JSON_DEPTH && depthOver(value, MAX_JSON_DEPTH))
    throw new DomainError('INVALID_ARGUMENT', `${what} is nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

/** Whether a parsed JSON value nests deeper than `max`, walked without recursion. */
function depthOver(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node as object))
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
