import { z } from 'zod';
import type { DriverConfig } from '@dispatch/contracts';

/** `[{key, value}]` as the upstream model has it; `--set k=v` on the CLI. */
export const driverConfigSchema = z
  .array(
    z.object({
      key: z
        .string({ error: 'each setting needs a key' })
        .regex(/^[\w.-]+$/, 'a setting key may hold letters, digits, _, . and -'),
      value: z.string({ error: 'each setting needs a string value' }),
    }),
    { error: 'config must be a list of {key, value}' },
  )
  .optional();

/** Settings as a map; later entries win, so a driver's own come after its type's. */
export function settingsOf(...lists: DriverConfig[][]): Map<string, string> {
  const settings = new Map<string, string>();
  for (const list of lists) for (const { key, value } of list) settings.set(key, value);
  return settings;
}
