import type { DriverConfig } from '@dispatch/contracts';

/** Settings as a map; later entries win, so a driver's own come after its type's. */
export function settingsOf(...lists: DriverConfig[][]): Map<string, string> {
  const settings = new Map<string, string>();
  for (const list of lists) for (const { key, value } of list) settings.set(key, value);
  return settings;
}
