import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DomainError, type DriverConfig, type EventDriver, type EventDriverType } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print, when } from '../../print.js';

/** `--set key=value` (repeatable) as the API's `[{key, value}]`. */
export function settingsOf(sets: string[] = []): DriverConfig[] {
  return sets.map((set) => {
    const i = set.indexOf('=');
    if (i <= 0) throw new DomainError('INVALID_ARGUMENT', `--set ${set}: use --set key=value`);
    return { key: set.slice(0, i), value: set.slice(i + 1) };
  });
}

/** A program on this machine by relative path is made absolute: the server does not share our cwd. */
function imageOf(image: string): string {
  return (image.startsWith('./') || image.startsWith('../')) && existsSync(image) ? resolve(image) : image;
}

export async function createDriverType(
  name: string,
  image: string,
  flags: { set?: string[]; expose?: boolean },
  global: GlobalOptions,
): Promise<void> {
  await clientFor(global).eventDriverTypes.create({
    name,
    image: imageOf(image),
    config: settingsOf(flags.set),
    expose: flags.expose ?? false,
  });
  console.log(`Created event driver type: ${name}`);
}

export async function createDriver(
  type: string,
  flags: { name?: string; set?: string[]; secret?: string[] },
  global: GlobalOptions,
): Promise<void> {
  const name = flags.name ?? type;
  const driver = await clientFor(global).eventDrivers.create({
    name,
    type,
    config: settingsOf(flags.set),
    secrets: flags.secret ?? [],
  });
  console.log(`Created event driver: ${name}${driver.url ? ` (POST to ${driver.url})` : ''}`);
}

export async function updateDriver(
  name: string,
  flags: { set?: string[]; secret?: string[] },
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor(global);
  const current = await client.eventDrivers.get(name);
  await client.eventDrivers.update(name, {
    type: current.type,
    config: flags.set ? settingsOf(flags.set) : current.config,
    secrets: flags.secret ?? current.secrets,
  });
  console.log(`Updated event driver: ${name}`);
}

const settingsText = (config: DriverConfig[]) => config.map((c) => `${c.key}=${c.value}`).join(' ');

export async function getDrivers(name: string | undefined, global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  const list: EventDriver[] = name ? [await client.eventDrivers.get(name)] : await client.eventDrivers.list();
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'TYPE', 'STATUS', 'SETTINGS', 'URL', 'REASON', 'CREATED'],
    ...list.map((d) => [
      d.name,
      d.type,
      d.status,
      settingsText(d.config),
      d.url ?? '',
      d.reason.join('; '),
      when(d.createdTime),
    ]),
  ]);
}

export async function getDriverTypes(name: string | undefined, global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  const list: EventDriverType[] = name
    ? [await client.eventDriverTypes.get(name)]
    : await client.eventDriverTypes.list();
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'IMAGE', 'SETTINGS', 'CREATED'],
    ...list.map((t) => [t.name, t.image, settingsText(t.config), when(t.createdTime)]),
  ]);
}

export async function deleteDriver(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).eventDrivers.delete(name);
  console.log(`Deleted event driver: ${name}`);
}

export async function deleteDriverType(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).eventDriverTypes.delete(name);
  console.log(`Deleted event driver type: ${name}`);
}
