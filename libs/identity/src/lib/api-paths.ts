import { apiPathOf, TOPOLOGY } from '@dispatch/contracts';

/**
 * The resource and action of an API path, for `/v1/iam/auth`, which decides calls it only sees the URI
 * of. Paths and their resources come from the topology table (libs/contracts), which the controllers'
 * @Resource agree with (apps/solo's routes test holds them together).
 */
export interface PathAccess {
  public: boolean;
  resource: string;
  action?: string;
  /** The org the call acts on, when the path names one (an organisation). */
  target?: string;
  /** Decided on global policies alone: creating, changing or deleting an organisation. */
  installationWide?: boolean;
}

const ORGANIZATIONS = TOPOLOGY.identity.paths.find((p) => p.resource === 'organization')?.prefix;

export function accessOfPath(method: string, uri: string): PathAccess {
  const path = uri.split('?')[0] ?? '';
  const known = apiPathOf(path);
  // The root page is a placeholder anyone may read, as in the original (where it is served at all).
  if (path === '/' || known?.public) return { public: true, resource: '' };
  const resource = known?.resource ?? path.split('/').filter(Boolean)[1] ?? 'api';
  // Running a function is its own action, whatever the verb of the path.
  const action = path === '/v1/runs' && method === 'POST' ? 'exec' : undefined;
  if (resource === 'organization') {
    const named = path.slice((ORGANIZATIONS?.length ?? 0) + 1) || undefined;
    if (method === 'GET' || method === 'HEAD') return { public: false, resource, target: named };
    return { public: false, resource, installationWide: true };
  }
  return { public: false, resource, action };
}
