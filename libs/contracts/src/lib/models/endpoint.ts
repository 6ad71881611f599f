import type { ApiModel } from './api-model.js';

/** `kind` of endpoints in the entity store. */
export const ENDPOINT_KIND = 'endpoint';

export const ENDPOINT_PROTOCOLS = ['http', 'https'] as const;
export type EndpointProtocol = (typeof ENDPOINT_PROTOCOLS)[number];

/** The upstream Endpoint: a function behind HTTP paths (`uris`), methods and optionally hosts. */
export interface EndpointSpec {
  function: string;
  uris: string[];
  methods: string[];
  /**
   * Exact Host names the endpoint answers on, each granted to its organisation by an operator
   * (OrganizationSpec.hosts); none means any host, under the org's own path.
   */
  hosts: string[];
  protocols: EndpointProtocol[];
  cors: boolean;
  enabled: boolean;
  /**
   * Whether the function sees the caller's credentials (`Authorization`, `Cookie`, ...) in
   * `context.httpContext.headers`. Off by default; a run's record never keeps them either way.
   */
  forwardCredentials?: boolean;
}

export type Endpoint = ApiModel<EndpointSpec>;
