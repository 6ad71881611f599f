import type { Entity, EntityMeta } from '../entity.js';

/** The envelope fields every upstream API model carries: the entity's, but `revision` is a string there. */
export type ApiEnvelope = Omit<EntityMeta, 'revision'> & { revision: string };

export type ApiModel<S> = ApiEnvelope & S;

/** Flattens a stored entity into the upstream API's shape: envelope fields beside the spec's. */
export function toApiModel<S extends object>(entity: Entity<S>): ApiModel<S> {
  return {
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
}
