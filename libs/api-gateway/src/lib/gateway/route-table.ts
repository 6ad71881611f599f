import { DEFAULT_ORG, hostCovers, type EndpointSpec, type Entity } from '@dispatch/contracts';

type EndpointEntity = Entity<EndpointSpec>;

/** The endpoints answering one path, by method. */
type PathRoutes = Map<string, EndpointEntity>;

export type Match =
  | { kind: 'found'; endpoint: EndpointEntity }
  /** The path is served, not with this method; `cors` is the endpoint to answer a preflight for. */
  | { kind: 'method'; allow: string[]; cors?: EndpointEntity }
  | { kind: 'none' };

/** The hosts each organisation was granted by an operator (OrganizationSpec.hosts). */
export type HostGrants = ReadonlyMap<string, readonly string[]>;

/**
 * Where each request goes, rebuilt from the endpoints whenever one (or a grant of hosts) changes.
 * Lookups are exact (a host, a path, a method), in this order: the endpoints claiming the request's
 * Host, counted only while their org holds a grant for it; an org's endpoints under its `/<org>/`
 * prefix; the default org's endpoints at the full path. So no org's route shadows another's: a host is
 * an operator's to give, and the default org, served at the root, never takes an org's prefix. The org
 * comes from the route, never from the request's own headers.
 */
export class RouteTable {
  private byHost = new Map<string, Map<string, PathRoutes>>();
  private byOrg = new Map<string, Map<string, PathRoutes>>();

  rebuild(endpoints: Iterable<EndpointEntity>, grants: HostGrants): void {
    const byHost = new Map<string, Map<string, PathRoutes>>();
    const byOrg = new Map<string, Map<string, PathRoutes>>();
    for (const endpoint of endpoints) {
      if (!endpoint.spec.enabled) continue;
      const granted = grants.get(endpoint.org) ?? [];
      const tables = endpoint.spec.hosts.length
        ? endpoint.spec.hosts
            .filter((host) => granted.some((grant) => hostCovers(grant, host)))
            .map((host) => tableOf(byHost, host))
        : [tableOf(byOrg, endpoint.org)];
      for (const table of tables) {
        for (const uri of endpoint.spec.uris) {
          let routes = table.get(uri);
          if (!routes) table.set(uri, (routes = new Map()));
          for (const method of endpoint.spec.methods) routes.set(method, endpoint);
        }
      }
    }
    this.byHost = byHost;
    this.byOrg = byOrg;
  }

  match(host: string, path: string, method: string): Match {
    const slash = path.indexOf('/', 1);
    const candidates = [
      this.byHost.get(host)?.get(path),
      slash > 1 ? this.byOrg.get(path.slice(1, slash))?.get(path.slice(slash)) : undefined,
      this.byOrg.get(DEFAULT_ORG)?.get(path),
    ];
    for (const routes of candidates) {
      if (!routes) continue;
      const endpoint = routes.get(method);
      if (endpoint) return { kind: 'found', endpoint };
      const cors = [...routes.values()].find((e) => e.spec.cors);
      return { kind: 'method', allow: [...routes.keys()], cors };
    }
    return { kind: 'none' };
  }
}

function tableOf(tables: Map<string, Map<string, PathRoutes>>, key: string): Map<string, PathRoutes> {
  let table = tables.get(key);
  if (!table) tables.set(key, (table = new Map()));
  return table;
}
