/**
 * The resource and action of an API path, for `/v1/iam/auth`, which decides calls it only sees the URI
 * of. It mirrors the controllers' @Resource and @Action; the route-enumerating test holds them together.
 */
const PUBLIC_PREFIXES = [
  '/healthz',
  '/readyz',
  '/v1/version',
  '/v1/event/hooks/',
  '/v1/iam/login',
  '/v1/iam/logout',
  '/v1/iam/auth',
];

const RESOURCES: [prefix: string, resource: string][] = [
  ['/v1/event/subscriptions', 'subscription'],
  ['/v1/event/drivers', 'eventdriver'],
  ['/v1/event/drivertypes', 'eventdrivertype'],
  ['/v1/event/deadletters', 'deadletter'],
  ['/v1/event', 'event'],
  ['/v1/runs', 'function'],
  ['/v1/iam/organization', 'organization'],
  ['/v1/iam/policy', 'policy'],
  ['/v1/iam/serviceaccount', 'serviceaccount'],
];

export interface PathAccess {
  public: boolean;
  resource: string;
  action?: string;
  /** The org the call acts on, when the path names one (an organisation). */
  target?: string;
  /** Decided on global policies alone: creating, changing or deleting an organisation. */
  installationWide?: boolean;
}

const ORGANIZATIONS = '/v1/iam/organization';

const under = (path: string, prefix: string) =>
  path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);

export function accessOfPath(method: string, uri: string): PathAccess {
  const path = uri.split('?')[0] ?? '';
  if (PUBLIC_PREFIXES.some((p) => under(path, p) || (p.endsWith('/') && path.startsWith(p))))
    return { public: true, resource: '' };
  const known = RESOURCES.find(([prefix]) => under(path, prefix));
  const resource = known?.[1] ?? path.split('/').filter(Boolean)[1] ?? 'api';
  // Running a function is its own action, whatever the verb of the path.
  const action = path === '/v1/runs' && method === 'POST' ? 'exec' : undefined;
  if (resource === 'organization') {
    const named = path.slice(ORGANIZATIONS.length + 1) || undefined;
    if (method === 'GET' || method === 'HEAD') return { public: false, resource, target: named };
    return { public: false, resource, installationWide: true };
  }
  return { public: false, resource, action };
}
