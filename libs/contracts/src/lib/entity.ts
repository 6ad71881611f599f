/**
 * The entity envelope every stored object carries, as the original Dispatch's entity store did.
 * Kind-specific fields live under `spec`; the API layer flattens them into the upstream models.
 */
export const ENTITY_STATUSES = ['INITIALIZED', 'CREATING', 'READY', 'UPDATING', 'ERROR', 'DELETING'] as const;
export type EntityStatus = (typeof ENTITY_STATUSES)[number];

export interface Tag {
  key: string;
  value: string;
}

export interface EntityMeta {
  id: string;
  name: string;
  kind: string;
  org: string;
  project: string;
  tags: Tag[];
  /** Store revision of the last write; pass it back on update to detect concurrent writers. */
  revision: number;
  /** Unix seconds, as the upstream models. */
  createdTime: number;
  modifiedTime: number;
  status: EntityStatus;
  reason: string[];
}

export interface Entity<S = Record<string, unknown>> extends EntityMeta {
  spec: S;
}

/**
 * Names, orgs and projects: a word character first and last, hyphens allowed between. The upstream
 * pattern `^[\w\d][\w\d\-]*[\w\d]|[\w\d]+$` meant this, but its alternation binds loosely; this one is
 * anchored on both ends.
 */
export const NAME_PATTERN = /^(?:[\w\d][\w\d-]*[\w\d]|[\w\d]+)$/;
export const NAME_MAX_LENGTH = 128;
export const KIND_PATTERN = /^[\w\d-]+$/;

export const DEFAULT_ORG = 'default';
export const DEFAULT_PROJECT = 'default';
