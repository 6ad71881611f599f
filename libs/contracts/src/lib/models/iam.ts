import type { ApiModel } from './api-model.js';

/** `kind`s of the identity domain in the entity store. */
export const ORGANIZATION_KIND = 'organization';
export const POLICY_KIND = 'policy';
export const SERVICE_ACCOUNT_KIND = 'serviceaccount';

/** What a rule may allow; `*` is every one of them. */
export const IAM_ACTIONS = ['get', 'create', 'update', 'delete', 'exec', '*'] as const;
export type IamAction = (typeof IAM_ACTIONS)[number];

/**
 * One rule of a policy, as the upstream model has it: these subjects may do these actions on these
 * resources. Subjects are users (their email, or `sub` when there is none), groups (`group:<name>`) and
 * service accounts (`<org>/<name>`); resources are kinds (`function`, `secret`, `iam`, ...); `*` matches
 * anything in each list.
 */
export interface PolicyRule {
  subjects: string[];
  resources: string[];
  actions: string[];
}

/** The upstream Policy: rules in one org, or in every org when `global`. */
export interface PolicySpec {
  rules: PolicyRule[];
  global: boolean;
}

export type Policy = ApiModel<PolicySpec>;

/** The upstream ServiceAccount: a machine identity whose RS256 tokens its public key verifies. */
export interface ServiceAccountSpec {
  /** PEM (SPKI) or base64 of it, as the original CLI sends it. */
  publicKey: string;
  domain?: string;
}

export type ServiceAccount = ApiModel<ServiceAccountSpec>;

export type OrganizationSpec = Record<string, never>;
export type Organization = ApiModel<OrganizationSpec>;
