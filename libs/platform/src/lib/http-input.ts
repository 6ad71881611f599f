import { DomainError, type Tag } from '@dispatch/contracts';
import type { z } from 'zod';

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

/** Validates a request body, answering 400 with the first problem and where it is. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new DomainError('INVALID_ARGUMENT', `invalid ${what}: ${where}${issue?.message ?? 'malformed'}`);
}
