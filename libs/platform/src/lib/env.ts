import { z } from 'zod';

/**
 * Reads an app's configuration from the environment through a zod schema whose keys are the variable
 * names, failing at boot with every bad variable named, rather than later with a confusing error.
 */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    const got = env[name];
    return `${name}: ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(withoutPassword(got))})`}`;
  });
  throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
}

/** A URL's password never reaches a log, even in a bad one (postgres://user:secret@host/...). */
function withoutPassword(value: string): string {
  return value.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function commaList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Common variable types, each with a message that says what was expected. */
export const envTypes = {
  port: (fallback: number) =>
    z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a port number')
      .min(0, 'must be a port number between 0 and 65535')
      .max(65535, 'must be a port number between 0 and 65535')
      .default(fallback),
  host: (fallback: string) => z.string().min(1, 'must be a host name or address').default(fallback),
  list: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform(commaList)
      .refine((v) => v.length > 0, 'must list at least one address'),
  /** A comma-separated list that may be empty, such as image pull secrets. */
  names: () => z.string().default('').transform(commaList),
  path: (fallback: string) => z.string().min(1, 'must be a path').default(fallback),
  /** Another service's base URL. */
  url: (fallback: string) => z.url({ error: 'must be a URL, e.g. http://127.0.0.1:8103' }).default(fallback),
  /** A URL that may be absent, such as an address users reach a service at behind a proxy. */
  optionalUrl: () => z.url({ error: 'must be a URL, e.g. https://dispatch.example.com' }).optional(),
  /** A value that may be absent, such as a key generated on first start when not configured. */
  optional: () => z.string().min(1, 'must not be empty').optional(),
  /** One of `choices`, or unset. */
  oneOf: (choices: [string, ...string[]]) =>
    z.enum(choices, { error: `must be one of ${choices.join(', ')}` }).optional(),
  /** A duration in milliseconds, from 0 up to `max`, such as a grace period. */
  milliseconds: (fallback: number, max: number) =>
    z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int('must be a whole number of milliseconds')
      .min(0, 'must not be negative')
      .max(max, `must be at most ${max} ms`)
      .default(fallback),
  /** `true` or `false`, such as whether a proxy in front is trusted. */
  flag: (fallback: boolean) =>
    z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true'),
  /** A size in bytes, at least `min`, such as the log a run keeps. */
  bytes: (fallback: number, min = 1024) =>
    z.coerce
      .number({ error: 'must be a number of bytes' })
      .int('must be a whole number of bytes')
      .min(min, `must be at least ${min} bytes`)
      .default(fallback),
};
