import type { Endpoint, EndpointRequest } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print, when } from '../../print.js';

export interface EndpointFlags {
  method?: string[];
  path?: string[];
  host?: string[];
  cors?: boolean;
  httpsOnly?: boolean;
  forwardCredentials?: boolean;
  disable?: boolean;
}

/** The API body for `create|update endpoint NAME FUNCTION` with the original CLI's flags. */
export function endpointBody(name: string, fn: string, flags: EndpointFlags): EndpointRequest {
  return {
    name,
    function: fn,
    methods: flags.method?.length ? flags.method : ['GET'],
    uris: flags.path?.length ? flags.path : [`/${name}`],
    hosts: flags.host ?? [],
    protocols: flags.httpsOnly ? ['https'] : ['http', 'https'],
    cors: flags.cors ?? false,
    forwardCredentials: flags.forwardCredentials ?? false,
    enabled: !flags.disable,
  };
}

export async function createEndpoint(
  name: string,
  fn: string,
  flags: EndpointFlags,
  global: GlobalOptions,
): Promise<void> {
  await clientFor(global).endpoints.create(endpointBody(name, fn, flags));
  console.log(`Created endpoint: ${name}`);
}

export async function updateEndpoint(
  name: string,
  fn: string,
  flags: EndpointFlags,
  global: GlobalOptions,
): Promise<void> {
  await clientFor(global).endpoints.update(name, endpointBody(name, fn, flags));
  console.log(`Updated endpoint: ${name}`);
}

export async function getEndpoints(name: string | undefined, global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  const list: Endpoint[] = name ? [await client.endpoints.get(name)] : await client.endpoints.list();
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'FUNCTION', 'PROTOCOLS', 'HOSTS', 'METHODS', 'PATHS', 'CORS', 'STATUS', 'CREATED'],
    ...list.map((e) => [
      e.name,
      e.function,
      e.protocols.join(','),
      e.hosts.join(',') || '*',
      e.methods.join(','),
      e.uris.join(','),
      e.cors ? 'yes' : 'no',
      e.enabled ? e.status : 'DISABLED',
      when(e.createdTime),
    ]),
  ]);
}

export async function deleteEndpoint(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).endpoints.delete(name);
  console.log(`Deleted endpoint: ${name}`);
}
