import { SERVICE_RETRY } from './dispatch-client.js';
import { DispatchClient } from './traced-client.js';
import { serviceTransport } from './transport.js';

/** Orgs and projects whose client is kept; past this many the set starts again (a bound, not a cache policy). */
const MAX_SCOPES = 1024;

/**
 * Clients of another service in the distributed shape, one per org and project, made once and kept:
 * they call with this service's own credential (`token`, current on each call), on the process's kept-alive
 * connections, retrying what a restart of the other side refuses.
 */
export function serviceClients(
  baseUrl: string,
  token?: () => string,
  requestId?: () => string | undefined,
): (scope: { org: string; project: string }) => DispatchClient {
  const clients = new Map<string, DispatchClient>();
  return ({ org, project }) => {
    const key = `${org}\u0000${project}`;
    let client = clients.get(key);
    if (!client) {
      if (clients.size >= MAX_SCOPES) clients.clear();
      client = new DispatchClient({
        baseUrl,
        org,
        project,
        token,
        retry: SERVICE_RETRY,
        transport: serviceTransport(),
        requestId,
      });
      clients.set(key, client);
    }
    return client;
  };
}
