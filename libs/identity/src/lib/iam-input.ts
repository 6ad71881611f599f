import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { HOST_GRANT_PATTERN, IAM_ACTIONS } from '@dispatch/contracts';

/** The upstream patterns: organisation and policy names, and service account names (which allow `.`). */
export const IAM_NAME = /^[\w\d][\w\d-]*$/;
export const ACCOUNT_NAME = /^[\w\d.-]+$/;

const names = (what: string) =>
  z
    .array(z.string().min(1, `a rule's ${what} may not be empty strings`), {
      error: `each rule needs ${what}: a list of strings`,
    })
    .min(1, `each rule needs at least one of its ${what}`);

export const policyBody = z.object({
  name: z.string({ error: 'name is required' }).regex(IAM_NAME, 'name may hold letters, digits, _ and -'),
  rules: z
    .array(
      z.object({
        subjects: names('subjects'),
        resources: names('resources'),
        actions: names('actions').refine(
          (actions) => actions.every((a) => IAM_ACTIONS.includes(a as never)),
          {
            message: `actions must be among ${IAM_ACTIONS.join(', ')}`,
          },
        ),
      }),
      { error: 'rules is required: a list of {subjects, resources, actions}' },
    )
    .min(1, 'a policy needs at least one rule'),
  global: z.boolean({ error: 'global must be true or false' }).optional(),
});

export const organizationBody = z.object({
  name: z.string({ error: 'name is required' }).regex(IAM_NAME, 'name may hold letters, digits, _ and -'),
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

export const serviceAccountBody = z.object({
  name: z
    .string({ error: 'name is required' })
    .regex(ACCOUNT_NAME, 'name may hold letters, digits, _, - and .'),
  publicKey: z
    .string({ error: 'publicKey is required: the PEM of an RSA public key, or base64 of it' })
    .refine(isRsaPublicKey, 'publicKey is not an RSA public key in PEM (or base64 of a PEM)'),
  domain: z
    .string()
    .regex(/^[\w\d.-]+$/, 'domain may hold letters, digits, _, - and .')
    .optional(),
});

/** A PEM as given, or base64 of one (as the original CLI sends public keys). */
export function pemOf(text: string): string {
  return text.includes('-----BEGIN') ? text : Buffer.from(text, 'base64').toString('utf8');
}

function isRsaPublicKey(text: string): boolean {
  // createPublicKey takes a private key too (and derives its public half): never store one of those.
  if (pemOf(text).includes('PRIVATE KEY')) return false;
  try {
    return createPublicKey(pemOf(text)).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}
