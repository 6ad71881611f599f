import type { ApiModel } from './api-model.js';

/** `kind` of secrets in the entity store. */
export const SECRET_KIND = 'secret';

/** A secret's values: names to strings, handed to a function in `context.secrets`. */
export type SecretValues = Record<string, string>;

/** The API's Secret: the values in `secrets`, the envelope also under `meta` as the original nests it. */
export type Secret = ApiModel<{ secrets: SecretValues; meta: SecretMeta }>;

export interface SecretMeta {
  name: string;
  org: string;
  project: string;
  tags: { key: string; value: string }[];
  createdTime: number;
  modifiedTime: number;
  revision: string;
}

/**
 * Where a run's secrets come from: the names a function lists plus those named at exec time, resolved
 * to their values and merged for `context.secrets`. A name that does not resolve is an error naming it,
 * never an empty value.
 */
export interface SecretsResolver {
  resolve(org: string, project: string, names: string[]): Promise<SecretValues>;
}

/** The injection token of the SecretsResolver the secrets domain provides. */
export const SECRETS_RESOLVER = Symbol.for('dispatch.secrets-resolver');
