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
  /** Exact Host names the endpoint answers on; none means any host. */
  hosts: string[];
  protocols: EndpointProtocol[];
  cors: boolean;
  enabled: boolean;
}

export type Endpoint = ApiModel<EndpointSpec>;
