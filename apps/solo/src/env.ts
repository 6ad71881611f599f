import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gatewayConfigFromEnv } from '@dispatch/api-gateway';
import { oidcFromEnv, type OidcSettings } from '@dispatch/auth';
import { SOLO_PORT } from '@dispatch/contracts';
import { eventsConfigFromEnv } from '@dispatch/events';
import { runLogLimitFromEnv } from '@dispatch/functions';
import { envTypes, parseEnv, ConfigError } from '@dispatch/platform';
import { secretsConfigFromEnv } from '@dispatch/secrets';

export interface SoloConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Prometheus metrics counted and served (DISPATCH_METRICS, on unless off). */
  metrics: boolean;
  /** The key sealing secrets; generated into the data directory when not given. */
  secretsKey?: string;
  /** The gateway serving endpoints: plain HTTP and HTTPS ports, and a certificate (else self-signed). */
  gatewayPort: number;
  gatewayTlsPort: number;
  tlsCert?: string;
  tlsKey?: string;
  /** The OpenID provider users log in with; without one, service accounts are the way in. */
  oidc?: OidcSettings;
  /** The CLI config file that gets the local admin's context (`dispatch` then works with no login). */
  cliConfig: string;
  /** How much of what a function prints a run keeps. */
  runLogLimitBytes: number;
  /** The directory of the programs event-driver types may run (default `<dataDir>/driver-programs`). */
  driverPrograms?: string;
  /** The built web console served at /ui (default: apps/ui/dist of this checkout). */
  consoleDir: string;
  /** The console's address as users reach it, where it differs from the API's own (a proxy in front). */
  consoleUrl?: string;
}

export const SOLO_USAGE = `Usage: npm start -- [options]   (or: node apps/solo/dist/main.js [options])

Starts Dispatch in one process: the API on http://HOST:PORT, data kept under the data directory.

Options (each also read from the environment variable shown):
  --host HOST        address to listen on        DISPATCH_HOST      (default 127.0.0.1)
  --port PORT        API port                    DISPATCH_PORT      (default 8080)
  --data-dir DIR     where Dispatch keeps data   DISPATCH_DATA_DIR  (default ~/.dispatch/data)
  --gateway-port PORT      endpoints over HTTP    DISPATCH_GATEWAY_PORT      (default 8081)
  --gateway-tls-port PORT  endpoints over HTTPS   DISPATCH_GATEWAY_TLS_PORT  (default 8444)

Environment only:
  DISPATCH_TLS_CERT, DISPATCH_TLS_KEY
                         PEM files of the gateway's HTTPS certificate and key (default: a
                         self-signed pair for localhost, generated once into the data directory)
  DISPATCH_GATEWAY_FORWARDED_PROTO
                         true behind a proxy that ends TLS: a request to the HTTP port counts as
                         HTTPS when the proxy's X-Forwarded-Proto says so (default false)
  DISPATCH_CONFIG        the dispatch CLI's config file, which the first start gives a context
                         for the local administrator (default ~/.dispatch/config.json)
  DISPATCH_LOG_FORMAT    json (a JSON object a line, with the call's request id) or text
                         (default: text on a terminal, json otherwise)
  DISPATCH_METRICS       on (Prometheus metrics at /metrics, with the token in the data
                         directory's metrics.token) or off (nothing counted) (default on)
  DISPATCH_OIDC_ISSUER, DISPATCH_OIDC_CLIENT_ID, DISPATCH_OIDC_CLIENT_SECRET
                         the OpenID provider users log in with (\`dispatch login\`)
  DISPATCH_OIDC_USERNAME_CLAIM, DISPATCH_OIDC_GROUPS_CLAIM
                         the claims naming the user (default email, else sub) and their
                         groups (default groups)
  DISPATCH_SECRETS_KEY   the key sealing secrets, 32 bytes in base64 (default: generated once into
                         the data directory, readable by its owner only)
  DISPATCH_RUN_LOG_LIMIT how much of what a function prints one run keeps, in bytes (default
                         1048576); the rest is dropped and the run's logs marked truncated
  DISPATCH_CONSOLE_DIR   the built web console served at /ui (default: apps/ui/dist)
  DISPATCH_CONSOLE_URL   the console's address as users reach it, when a proxy is in front (the
                         OpenID provider sends them back to <url>/ui/login/callback)
  DISPATCH_DRIVER_PROGRAMS
                         the directory of the programs event-driver types may run, which an
                         operator installs (default: driver-programs in the data directory)
  DISPATCH_UNSAFE_RUN_TENANT_CODE_UNCONFINED=1
                         run functions, builds and driver programs without a sandbox where none
                         can be made (bubblewrap missing, or the kernel refusing namespaces)
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
        'gateway-port': { type: 'string' },
        'gateway-tls-port': { type: 'string' },
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
    ...(flags['gateway-port'] !== undefined && { DISPATCH_GATEWAY_PORT: flags['gateway-port'] }),
    ...(flags['gateway-tls-port'] !== undefined && { DISPATCH_GATEWAY_TLS_PORT: flags['gateway-tls-port'] }),
  };
  const oidc = oidcFromEnv(merged);
  const parsed = parseEnv(
    {
      DISPATCH_HOST: envTypes.host('127.0.0.1'),
      DISPATCH_PORT: envTypes.port(SOLO_PORT),
      DISPATCH_DATA_DIR: envTypes.path(join(homedir(), '.dispatch', 'data')),
      DISPATCH_CONFIG: envTypes.path(join(homedir(), '.dispatch', 'config.json')),
      // Checked here; the logger reads it (logFormatOf).
      DISPATCH_LOG_FORMAT: envTypes.oneOf(['json', 'text']),
      DISPATCH_METRICS: envTypes.oneOf(['on', 'off']),
      DISPATCH_CONSOLE_DIR: envTypes.path(fileURLToPath(new URL('../../ui/dist', import.meta.url))),
      DISPATCH_CONSOLE_URL: envTypes.optionalUrl(),
    },
    merged,
  );
  // Each domain reads its own settings, as its service does.
  const gateway = gatewayConfigFromEnv(merged);
  const { driverPrograms } = eventsConfigFromEnv(merged);
  return {
    host: parsed.DISPATCH_HOST,
    port: parsed.DISPATCH_PORT,
    dataDir: resolve(parsed.DISPATCH_DATA_DIR),
    secretsKey: secretsConfigFromEnv(merged).key,
    gatewayPort: gateway.port as number,
    gatewayTlsPort: gateway.tlsPort as number,
    tlsCert: gateway.tlsCert,
    tlsKey: gateway.tlsKey,
    cliConfig: resolve(parsed.DISPATCH_CONFIG),
    metrics: parsed.DISPATCH_METRICS !== 'off',
    runLogLimitBytes: runLogLimitFromEnv(merged).logLimitBytes as number,
    ...(driverPrograms && { driverPrograms }),
    ...(oidc && { oidc }),
    consoleDir: resolve(parsed.DISPATCH_CONSOLE_DIR),
    ...(parsed.DISPATCH_CONSOLE_URL && { consoleUrl: parsed.DISPATCH_CONSOLE_URL }),
  };
}
