import type { ResourceClient } from '@dispatch/api-client';
import { APPLICATION_TAG, type Application } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print, statusOf, when } from '../../print.js';

/** The kinds an application may hold, dependents first so a cascade deletes in a safe order. */
function memberKinds(global: GlobalOptions): [string, ResourceClient<{ name: string; status: string }>][] {
  const client = clientFor({ ...global, application: undefined });
  return [
    ['endpoint', client.endpoints],
    ['function', client.functions],
    ['secret', client.secrets],
    ['image', client.images],
    ['base-image', client.baseImages],
  ];
}

export async function createApplication(name: string, global: GlobalOptions): Promise<void> {
  await clientFor({ ...global, application: undefined }).applications.create({ name });
  console.log(`Created application: ${name}`);
}

export async function getApplications(name: string | undefined, global: GlobalOptions): Promise<void> {
  const client = clientFor({ ...global, application: undefined });
  const list: Application[] = name ? [await client.applications.get(name)] : await client.applications.list();
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'STATUS', 'CREATED'],
    ...list.map((a) => [a.name, a.status, when(a.createdTime)]),
  ]);
}

/** `dispatch get --application NAME`: every member, of every kind. */
export async function getMembers(application: string, global: GlobalOptions): Promise<void> {
  const tag = [{ key: APPLICATION_TAG, value: application }];
  const members: { kind: string; name: string; status: string; reason?: string[] }[] = [];
  for (const [kind, resource] of memberKinds(global)) {
    for (const entity of await resource.list(tag)) members.push({ ...entity, kind });
  }
  print(outputFormat(global), members, () => [
    ['KIND', 'NAME', 'STATUS'],
    ...members.map((m) => [m.kind, m.name, statusOf(m)]),
  ]);
}

/** Deletes the application; with `cascade`, first its members, each through its own API. */
export async function deleteApplication(
  name: string,
  options: { cascade?: boolean },
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor({ ...global, application: undefined });
  await client.applications.get(name);
  if (options.cascade) {
    const tag = [{ key: APPLICATION_TAG, value: name }];
    for (const [kind, resource] of memberKinds(global)) {
      for (const member of await resource.list(tag)) {
        await resource.delete(member.name);
        console.log(`Deleted ${kind}: ${member.name}`);
      }
    }
  }
  await client.applications.delete(name);
  console.log(`Deleted application: ${name}`);
}
