import {
  DomainError,
  ENTITY_STATUSES,
  KIND_PATTERN,
  NAME_MAX_LENGTH,
  NAME_PATTERN,
} from '@dispatch/contracts';
import { z } from 'zod';
import type { EntityRef, EntityScope, EntityUpdate, ListQuery, NewEntity } from './entity-store.js';

/** etcd refuses requests over 1.5 MiB; keep every entity well under so both stores agree. */
export const MAX_ENTITY_BYTES = 1024 * 1024;

const name = (what: string) =>
  z
    .string({
      error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`),
    })
    .min(1, `${what} is required`)
    .max(NAME_MAX_LENGTH, `${what} is longer than ${NAME_MAX_LENGTH} characters`)
    .regex(
      NAME_PATTERN,
      `${what} may hold letters, digits, '_' and '-', and must start and end with a letter or digit`,
    );

const kind = z
  .string({ error: 'kind is required' })
  .min(1, 'kind is required')
  .regex(KIND_PATTERN, "kind may hold letters, digits, '_' and '-'");

const revision = z
  .number({
    error: (issue) => (issue.input === undefined ? 'revision is required' : 'revision must be an integer'),
  })
  .int('revision must be an integer')
  .positive('revision must be positive');

const tags = z.array(
  z.object({
    key: z.string().min(1, 'a tag key is required'),
    value: z.string({ error: 'a tag value must be a string' }),
  }),
  { error: 'tags must be a list of {key, value}' },
);

const refShape = { org: name('org'), project: name('project'), kind, name: name('name') };

const refSchema = z.object(refShape);
const writeFields = {
  ...refShape,
  spec: z.record(z.string(), z.unknown(), { error: 'spec must be an object' }),
  tags: tags.optional(),
  status: z
    .enum(ENTITY_STATUSES, { error: `status must be one of ${ENTITY_STATUSES.join(', ')}` })
    .optional(),
  reason: z.array(z.string(), { error: 'reason must be a list of strings' }).optional(),
};
const newSchema = z.object(writeFields);
const updateSchema = z.object({ ...writeFields, revision });
const scopeSchema = z.object({
  org: name('org').optional(),
  project: name('project').optional(),
  kind: kind.optional(),
});
const listSchema = scopeSchema.extend({ tags: tags.optional() });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
    throw new DomainError('INVALID_ARGUMENT', `invalid ${what}: ${issue?.message ?? 'malformed'}${where}`);
  }
  return result.data;
}

function refName(ref: Partial<EntityRef>): string {
  return `${ref.kind ?? '?'} ${ref.org ?? '?'}/${ref.project ?? '?'}/${ref.name ?? '?'}`;
}

export function validateRef(ref: EntityRef): EntityRef {
  return parse(refSchema, ref, 'entity reference');
}

export function validateNew<S>(entity: NewEntity<S>): NewEntity<S> {
  parse(newSchema, entity, `entity ${refName(entity)}`);
  return entity;
}

export function validateUpdate<S>(entity: EntityUpdate<S>): EntityUpdate<S> {
  parse(updateSchema, entity, `entity ${refName(entity)}`);
  return entity;
}

export function validateScope(scope: EntityScope): EntityScope {
  return parse(scopeSchema, scope, 'scope');
}

export function validateList(query: ListQuery): ListQuery {
  validateScope(query);
  return parse(listSchema, query, 'list query');
}

export function validateExpectedRevision(rev: unknown): number | undefined {
  if (rev === undefined) return undefined;
  return parse(revision, rev, 'expected revision');
}

/** Serialises an entity for storage, refusing it when it is over the size both stores accept. */
export function encodeEntity(entity: object, ref: EntityRef): string {
  const json = JSON.stringify(entity);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_ENTITY_BYTES) {
    throw new DomainError(
      'PAYLOAD_TOO_LARGE',
      `entity ${refName(ref)} is ${bytes} bytes, over the ${MAX_ENTITY_BYTES}-byte limit`,
    );
  }
  return json;
}
