import { z } from 'zod';
import { HOST_GRANT_PATTERN, IAM_ACTIONS } from '../models/iam.js';
import { flagField } from './fields.js';

/** The upstream patterns: organisation and policy names, and service account names (which allow `.`). */
export const IAM_NAME = /^[\w\d][\w\d-]*$/;
export const ACCOUNT_NAME = /^[\w\d.-]+$/;

const iamNameField = z
  .string({ error: 'name is required' })
  .regex(IAM_NAME, 'name may hold letters, digits, _ and -');

const ruleList = (what: string) =>
  z
    .array(z.string().min(1, `a rule's ${what} may not be empty strings`), {
      error: `each rule needs ${what}: a list of strings`,
    })
    .min(1, `each rule needs at least one of its ${what}`);

/** `POST /v1/iam/policy` and `PUT .../{name}`: rules of the org, or of every org when `global`. */
export const policyRequest = z.object({
  name: iamNameField,
  rules: z
    .array(
      z.object({
        subjects: ruleList('subjects'),
        resources: ruleList('resources'),
        actions: ruleList('actions').refine(
          (actions) => actions.every((a) => IAM_ACTIONS.includes(a as never)),
          {
            message: `actions must be among ${IAM_ACTIONS.join(', ')}`,
          },
        ),
      }),
      { error: 'rules is required: a list of {subjects, resources, actions}' },
    )
    .min(1, 'a policy needs at least one rule'),
  global: flagField('global'),
});
export type PolicyRequest = z.input<typeof policyRequest>;

/** `POST /v1/iam/organization` and `PUT .../{name}`: an organisation and the hosts granted to it. */
export const organizationRequest = z.object({
  name: iamNameField,
  hosts: z
    .array(
      z
        .string()
        .transform((h) => h.toLowerCase())
        .pipe(
          z
            .string()
            .max(253, 'a host may be 253 characters at most')
            .regex(HOST_GRANT_PATTERN, 'each host must be a domain name, or *. and a domain, without port'),
        ),
      { error: 'hosts must be a list of domain names' },
    )
    .optional(),
});
export type OrganizationRequest = z.input<typeof organizationRequest>;

/**
 * `POST /v1/iam/serviceaccount` and `PUT .../{name}`: a machine identity's RSA public key, as PEM or
 * base64 of a PEM (identity checks that it is one).
 */
export const serviceAccountRequest = z.object({
  name: z
    .string({ error: 'name is required' })
    .regex(ACCOUNT_NAME, 'name may hold letters, digits, _, - and .'),
  publicKey: z.string({ error: 'publicKey is required: the PEM of an RSA public key, or base64 of it' }),
  domain: z
    .string()
    .regex(/^[\w\d.-]+$/, 'domain may hold letters, digits, _, - and .')
    .optional(),
});
export type ServiceAccountRequest = z.input<typeof serviceAccountRequest>;
