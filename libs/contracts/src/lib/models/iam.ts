import type { ApiModel } from './api-model.js';

/** `kind`s of the identity domain in the entity store. */
export const ORGANIZATION_KIND = 'organization';
export const POLICY_KIND = 'policy';
export const SERVICE_ACCOUNT_KIND = 'serviceaccount';

/**
 * What a rule may allow; `*` is every one of them. `use` is handing a secret to a function (at exec, or
 * naming it in a function, subscription or driver) without reading it; `get` on a secret allows `use`
 * too, since whoever may read a value may pass it on.
 */
export const IAM_ACTIONS = ['get', 'create', 'update', 'delete', 'exec', 'use', '*'] as const;
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

/**
 * An organisation. `hosts` are the domain names its endpoints may claim (`api.acme.example`, or
 * `*.acme.example` for any name under it), granted by an installation administrator: an endpoint's
 * Host routes are matched first, so who may claim which host is the operator's decision, never a tenant's.
 */
export interface OrganizationSpec {
  hosts?: string[];
}
export type Organization = ApiModel<OrganizationSpec>;

/** A host an organisation may be granted: a domain name, or `*.` and a domain for every name under it. */
export const HOST_GRANT_PATTERN = /^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/** Whether a grant (`api.acme.example`, or `*.acme.example`) covers a host or another grant. */
export function hostCovers(grant: string, host: string): boolean {
  if (grant === host) return true;
  return grant.startsWith('*.') && host.endsWith(grant.slice(1));
}

/**
 * Where identity entities live in the store: they belong to an org, not to a project. A user's project
 * of this name never meets them: their kinds are written by the identity domain only.
 */
export const IAM_PROJECT = 'iam';

/**
 * The org of installation-wide identity records (the bootstrap identity) and of Dispatch's own services'
 * accounts. Reserved: no call may name it in X-Dispatch-Org, and no organization may take its name.
 */
export const SYSTEM_ORG = 'dispatch-system';
export const BOOTSTRAP_KIND = 'bootstrap';
export const BOOTSTRAP_NAME = 'bootstrap';
/** The `iss` of a bootstrap identity's tokens, and its subject in decisions. */
export const BOOTSTRAP_SUBJECT = 'bootstrap';

/**
 * The bootstrap identity of a fresh installation: whoever holds the private half of `publicKey` may
 * manage organisations, service accounts and policies while `enabled`; creating the first administrator
 * policy turns it off for good.
 */
export interface BootstrapSpec {
  publicKey: string;
  enabled: boolean;
}

/** The identity a credential proves, as `/v1/iam/auth` and the CLI's `whoami` report it. */
export interface Caller {
  /** `service`: one of Dispatch's own services (a `dispatch-system` account), acting for a call already authorised. */
  kind: 'service-account' | 'user' | 'bootstrap' | 'service';
  /** The caller's identity and groups (`group:<name>`), as policy rules name them. */
  subjects: string[];
}

/** What the login broker (`/v1/iam/login`) tells a client about the OpenID provider it should use. */
export interface LoginConfig {
  issuer: string;
  clientId: string;
  scopes: string;
}

/** Tokens the login broker hands a client after a grant: the ID token is the API credential. */
export interface LoginTokens {
  idToken: string;
  refreshToken?: string;
  /** Seconds since the epoch at which the ID token expires. */
  expiresAt: number;
  subject: string;
  groups: string[];
}

/** A device login under way (the login broker's answer): where the user goes, the code to enter there. */
export interface DeviceLogin {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Seconds between polls, and until the code expires. */
  interval: number;
  expiresIn: number;
}

/** The login broker's answer while a device login waits for the user (202). */
export interface LoginPending {
  pending: true;
  slowDown: boolean;
}
