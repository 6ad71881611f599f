import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { envTypes, parseEnv, ConfigError } from '@dispatch/platform';

export interface SoloConfig {
  host: string;
  port: number;
  dataDir: string;
  /** The key sealing secrets; generated into the data directory when not given. */
  secretsKey?: string;
}

export const SOLO_USAGE = `Usage: npm start -- [options]   (or: node apps/solo/dist/main.js [options])

Starts Dispatch in one process: the API on http://HOST:PORT, data kept under the data directory.

Options (each also read from the environment variable shown):
  --host HOST        address to listen on        DISPATCH_HOST      (default 127.0.0.1)
  --port PORT        API port                    DISPATCH_PORT      (default 8080)
  --data-dir DIR     where Dispatch keeps data   DISPATCH_DATA_DIR  (default ~/.dispatch/data)

Environment only:
  DISPATCH_SECRETS_KEY   the key sealing secrets, 32 bytes in base64 (default: generated once into
                         the data directory, readable by its owner only)
  -h, --help         show this help`;

/** Flags win over environment variables, which win over defaults: solo needs no configuration at all. */
export function soloConfig(argv: string[], env: NodeJS.ProcessEnv): SoloConfig | 'help' {
  let flags;
  try {
    flags = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; see --help`);
  }
  if (flags.help) return 'help';
  const merged = {
    ...env,
    ...(flags.host !== undefined && { DISPATCH_HOST: flags.host }),
    ...(flags.port !== undefined && { DISPATCH_PORT: flags.port }),
    ...(flags['data-dir'] !== undefined && { DISPATCH_DATA_DIR: flags['data-dir'] }),
  };
  const parsed = parseEnv(
    {
      DISPATCH_HOST: envTypes.host('127.0.0.1'),
      DISPATCH_PORT: envTypes.port(8080),
      DISPATCH_DATA_DIR: envTypes.path(join(homedir(), '.dispatch', 'data')),
      DISPATCH_SECRETS_KEY: envTypes.optional(),
    },
    merged,
  );
  return {
    host: parsed.DISPATCH_HOST,
    port: parsed.DISPATCH_PORT,
    dataDir: resolve(parsed.DISPATCH_DATA_DIR),
    secretsKey: parsed.DISPATCH_SECRETS_KEY,
  };
}
