import { APPLICATION_KIND } from './models/application.js';
import { ENDPOINT_KIND } from './models/endpoint.js';
import {
  DEAD_LETTER_KIND,
  EVENT_DRIVER_KIND,
  EVENT_DRIVER_TYPE_KIND,
  SUBSCRIPTION_KIND,
} from './models/event.js';
import { FUNCTION_KIND } from './models/function.js';
import { ORGANIZATION_KIND, POLICY_KIND, SERVICE_ACCOUNT_KIND } from './models/iam.js';
import { BASE_IMAGE_KIND, IMAGE_KIND } from './models/image.js';
import { SECRET_KIND } from './models/secret.js';

/** The services of the distributed shape; solo runs them all in one process. */
export const SERVICES = ['identity', 'images', 'functions', 'secrets', 'events', 'api-gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * A path of the API and what access control makes of it: the resource policies name for it, or public
 * (no credential asked). A path is decided by the longest prefix that holds it.
 */
export interface ApiPath {
  prefix: string;
  resource?: string;
  public?: true;
  /** Only the path itself, nothing under it (an exact route). */
  exact?: true;
}

export interface ServiceTopology {
  /** Its HTTP port unless DISPATCH_PORT says otherwise. */
  port: number;
  /** The path prefixes an ingress sends it (tools/nginx.js locally, the chart's Ingress). */
  routes: readonly string[];
  /**
   * Paths an ingress sends it only as they are, nothing under them: where the API shares its host with
   * endpoints, a prefix would take tenants' paths too.
   */
  exactRoutes?: readonly string[];
  /** Its paths in detail, each under one of its routes. */
  paths: readonly ApiPath[];
  /** The kinds it owns and announces: a change is the domain event `<service>.<kind>.<verb>`. */
  kinds: readonly string[];
  /** The services it calls, each found at DISPATCH_<NAME>_URL (see peerUrlVariable). */
  peers: readonly ServiceName[];
}

/**
 * The one table of where everything is: each service's port, paths, kinds and peers. The apps, the
 * local ingress (tools/nginx.js, tools/cluster.js), domain-event names, the access-control map and the
 * chart derive from it or are tested against it. Moving a path or adding a kind starts here; see the
 * README of libs/contracts.
 */
export const TOPOLOGY: Readonly<Record<ServiceName, ServiceTopology>> = {
  identity: {
    port: 8101,
    routes: ['/v1/iam'],
    // The original Dispatch's home page: its CLI signs in with a service account by calling it.
    exactRoutes: ['/home'],
    paths: [
      { prefix: '/v1/iam/organization', resource: ORGANIZATION_KIND },
      { prefix: '/v1/iam/policy', resource: POLICY_KIND },
      { prefix: '/v1/iam/serviceaccount', resource: SERVICE_ACCOUNT_KIND },
      // Signing in, out, and the ingress's question "may this call pass" answer anyone.
      { prefix: '/v1/iam/login', public: true },
      { prefix: '/v1/iam/logout', public: true },
      { prefix: '/v1/iam/auth', public: true },
      // The original CLI's browser sign-in, which answers anyone how to sign that CLI in instead.
      { prefix: '/v1/iam/oauth2', public: true },
      { prefix: '/v1/iam/redirect', public: true },
      // Checks the credential itself, deciding no policy, as /v1/iam/auth does.
      { prefix: '/home', public: true, exact: true },
    ],
    kinds: [ORGANIZATION_KIND, POLICY_KIND, SERVICE_ACCOUNT_KIND],
    peers: [],
  },
  images: {
    port: 8102,
    routes: ['/v1/baseimage', '/v1/image'],
    paths: [
      { prefix: '/v1/baseimage', resource: BASE_IMAGE_KIND },
      { prefix: '/v1/image', resource: IMAGE_KIND },
    ],
    kinds: [BASE_IMAGE_KIND, IMAGE_KIND],
    peers: [],
  },
  functions: {
    port: 8103,
    routes: ['/v1/function', '/v1/runs', '/v1/application', '/v1/version'],
    paths: [
      { prefix: '/v1/function', resource: FUNCTION_KIND },
      // Runs are a function's: reading them is `get` on it, starting one `exec`.
      { prefix: '/v1/runs', resource: FUNCTION_KIND },
      { prefix: '/v1/application', resource: APPLICATION_KIND },
      // Every service answers it; the ingress asks this one.
      { prefix: '/v1/version', public: true },
    ],
    kinds: [FUNCTION_KIND, APPLICATION_KIND],
    peers: ['secrets'],
  },
  secrets: {
    port: 8104,
    routes: ['/v1/secret'],
    paths: [{ prefix: '/v1/secret', resource: SECRET_KIND }],
    kinds: [SECRET_KIND],
    peers: [],
  },
  events: {
    port: 8105,
    routes: ['/v1/event'],
    paths: [
      { prefix: '/v1/event', resource: 'event' },
      { prefix: '/v1/event/subscriptions', resource: SUBSCRIPTION_KIND },
      { prefix: '/v1/event/drivers', resource: EVENT_DRIVER_KIND },
      { prefix: '/v1/event/drivertypes', resource: EVENT_DRIVER_TYPE_KIND },
      // Dead letters are records of failed deliveries: they announce nothing.
      { prefix: '/v1/event/deadletters', resource: DEAD_LETTER_KIND },
      // Drivers' webhooks, called by the world outside, which proves itself with a per-driver token.
      { prefix: '/v1/event/hooks', public: true },
    ],
    kinds: [SUBSCRIPTION_KIND, EVENT_DRIVER_KIND, EVENT_DRIVER_TYPE_KIND],
    peers: ['functions', 'secrets'],
  },
  'api-gateway': {
    port: 8106,
    // `/v1/api` is v0.1's name for endpoints (its API manager): the same entities on both.
    // The web console too: a page, its sign-in, and its way to the API, which checks the console's
    // own session (a cookie and a CSRF token) and calls the API with the session's credential.
    routes: ['/v1/endpoint', '/v1/api', '/ui'],
    paths: [
      { prefix: '/v1/endpoint', resource: ENDPOINT_KIND },
      { prefix: '/v1/api', resource: ENDPOINT_KIND },
      { prefix: '/ui', public: true },
    ],
    kinds: [ENDPOINT_KIND],
    peers: ['functions'],
  },
};

/** Paths every service answers itself, never routed by an ingress: its health. */
export const EVERY_SERVICE_PATHS: readonly ApiPath[] = [
  { prefix: '/healthz', public: true },
  { prefix: '/readyz', public: true },
  // Checks the scrape token itself.
  { prefix: '/metrics', public: true },
];

/** The API port of solo (and where the CLI looks unless told otherwise). */
export const SOLO_PORT = 8080;
/** Where the gateway serves endpoints, in solo and in the api-gateway service. */
export const GATEWAY_PORTS = { http: 8081, https: 8444 } as const;

/** The variable that tells a service where a peer is, e.g. DISPATCH_FUNCTIONS_URL. */
export function peerUrlVariable(service: ServiceName): string {
  return `DISPATCH_${service.toUpperCase().replace(/-/g, '_')}_URL`;
}

/** A service's address on this machine at its own port: a peer's URL unless its variable says otherwise. */
export function localServiceUrl(service: ServiceName): string {
  return `http://127.0.0.1:${TOPOLOGY[service].port}`;
}

/** Whether `path` is `prefix` or lies under it (whole path segments, as an Ingress's Prefix matches). */
export function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** The service that owns a kind (and announces its changes), if one does. */
export function ownerOfKind(kind: string): ServiceName | undefined {
  return SERVICES.find((service) => TOPOLOGY[service].kinds.includes(kind));
}

/** The service an ingress sends a path to, if any (else the gateway's endpoints). */
export function serviceOfPath(path: string): ServiceName | undefined {
  return SERVICES.find(
    (service) =>
      TOPOLOGY[service].routes.some((route) => isUnder(path, route)) ||
      (TOPOLOGY[service].exactRoutes ?? []).includes(path),
  );
}

/** What access control makes of a path: the entry with the longest prefix holding it. */
export function apiPathOf(path: string): ApiPath | undefined {
  let best: ApiPath | undefined;
  for (const entry of [...EVERY_SERVICE_PATHS, ...SERVICES.flatMap((s) => TOPOLOGY[s].paths)]) {
    const holds = entry.exact ? path === entry.prefix : isUnder(path, entry.prefix);
    if (holds && entry.prefix.length > (best?.prefix.length ?? -1)) best = entry;
  }
  return best;
}
