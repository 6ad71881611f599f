import type { Entity, EntityMeta } from '../entity.js';
import { ENDPOINT_KIND } from './endpoint.js';
import { BASE_IMAGE_KIND, IMAGE_KIND } from './image.js';

/** The envelope fields every upstream API model carries: the entity's, but `revision` is a string there. */
export type ApiEnvelope = Omit<EntityMeta, 'revision'> & { revision: string };

export type ApiModel<S> = ApiEnvelope & S;

/**
 * Fields the original v0.1 API's clients read under names of their own, by kind: each the copy of a
 * knative field, so a v0.1 client neither crashes on an answer (its CLI dereferences `baseImageName`)
 * nor shows blanks. Requests read the same names (withV01Names).
 */
const V01_ANSWER_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  [BASE_IMAGE_KIND]: { dockerUrl: 'imageURL' },
  [IMAGE_KIND]: { dockerUrl: 'imageURL', baseImageName: 'baseImage' },
};

/**
 * Fields of v0.1's models that hold one value here, by kind: an API's `authentication` (its CLI shows
 * it), since every endpoint is public (endpointRequest refuses any other).
 */
const V01_ANSWER_CONSTANTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  [ENDPOINT_KIND]: { authentication: 'public' },
};

/**
 * Flattens a stored entity into the upstream API's shape: envelope fields beside the spec's, and the
 * v0.1 names of fields its clients read.
 */
export function toApiModel<S extends object>(entity: Entity<S>): ApiModel<S> {
  const model = {
    ...entity.spec,
    id: entity.id,
    name: entity.name,
    kind: entity.kind,
    org: entity.org,
    project: entity.project,
    tags: entity.tags,
    revision: String(entity.revision),
    createdTime: entity.createdTime,
    modifiedTime: entity.modifiedTime,
    status: entity.status,
    reason: entity.reason,
  };
  const names = V01_ANSWER_NAMES[entity.kind];
  const constants = V01_ANSWER_CONSTANTS[entity.kind];
  if (!names && !constants) return model;
  const fields = model as Record<string, unknown>;
  for (const [old, current] of Object.entries(names ?? {}))
    if (fields[current] !== undefined) fields[old] = fields[current];
  return Object.assign(model, constants);
}
