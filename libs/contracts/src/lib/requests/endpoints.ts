import { z } from 'zod';
import { ENDPOINT_PROTOCOLS } from '../models/endpoint.js';
import { flagField, nameField, referenceField, tagsField } from './fields.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** `POST /v1/endpoint` and `PUT /v1/endpoint/{name}`: a function behind paths, methods and hosts. */
export const endpointRequest = z.object({
  name: nameField,
  function: referenceField('function', 'a function', ' (the function the endpoint runs)'),
  uris: z
    .array(
      z
        .string()
        .regex(/^\/[^\s?#]*$/, 'each path must start with / and hold no spaces, ? or #')
        .max(1024, 'a path may be 1024 characters at most'),
      { error: 'uris must be a list of paths' },
    )
    .min(1, 'at least one path is required (--path)'),
  methods: z
    .array(
      z.string().transform((m) => m.toUpperCase()),
      { error: 'methods must be a list' },
    )
    .min(1, 'at least one method is required (--method)')
    .refine((ms) => ms.every((m) => (HTTP_METHODS as readonly string[]).includes(m)), {
      message: `methods must be among ${HTTP_METHODS.join(', ')}`,
    }),
  hosts: z
    .array(
      z
        .string()
        .regex(
          /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i,
          'each host must be a domain name or address, without port',
        ),
    )
    .optional(),
  protocols: z
    .array(z.enum(ENDPOINT_PROTOCOLS, { error: 'protocols may be http and https' }))
    .min(1, 'at least one protocol is required')
    .optional(),
  cors: flagField('cors'),
  enabled: flagField('enabled'),
  forwardCredentials: flagField('forwardCredentials'),
  // v0.1's API fields: an endpoint answers anyone (its function decides whom it serves, with the
  // caller's credentials if forwardCredentials), over the installation's certificate. A file asking
  // for more is refused rather than served less protected than it says.
  authentication: z
    .enum(['public'], {
      error:
        "authentication may only be public: an endpoint answers anyone, and its function decides whom it serves (forwardCredentials gives it the caller's credentials)",
    })
    .optional(),
  tls: z
    .string()
    .max(0, "tls must be empty: endpoints are served over HTTPS with the installation's certificate")
    .optional(),
  tags: tagsField,
});
export type EndpointRequest = z.input<typeof endpointRequest>;
