import { fileURLToPath } from 'node:url';
import {
  DomainError,
  localServiceUrl,
  peerUrlVariable,
  serviceOfPath,
  SERVICES,
  type ServiceName,
} from '@dispatch/contracts';
import { envTypes, parseEnv } from '@dispatch/platform';
import type { ConsoleConfig } from './console.config.js';

/** The console as this checkout builds it (apps/ui/dist), where a service finds it unless told. */
export const BUILT_CONSOLE = fileURLToPath(new URL('../../../../apps/ui/dist', import.meta.url));

/**
 * The console of the distributed shape, from the environment: the built page (DISPATCH_CONSOLE_DIR),
 * its public address (DISPATCH_CONSOLE_URL: cookies are Secure when it is https), where endpoints are
 * served when not on the console's own host (DISPATCH_CONSOLE_ENDPOINTS_URL), and every service's
 * address (DISPATCH_<SERVICE>_URL, each on this machine by default): the console forwards each call to
 * the service that owns its path, as the ingress would, and each service decides it by its policies.
 */
export function consoleConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const parsed = parseEnv(
    {
      DISPATCH_CONSOLE_DIR: envTypes.path(BUILT_CONSOLE),
      DISPATCH_CONSOLE_URL: envTypes.optionalUrl(),
      DISPATCH_CONSOLE_ENDPOINTS_URL: envTypes.optionalUrl(),
      ...Object.fromEntries(SERVICES.map((s) => [peerUrlVariable(s), envTypes.url(localServiceUrl(s))])),
    },
    env,
  ) as Record<string, string | undefined>;
  const urlOf = (service: ServiceName) => parsed[peerUrlVariable(service)] as string;
  const publicUrl = parsed['DISPATCH_CONSOLE_URL'];
  const endpointsUrl = parsed['DISPATCH_CONSOLE_ENDPOINTS_URL'];
  return {
    assetsDir: parsed['DISPATCH_CONSOLE_DIR'] as string,
    apiUrl: (path) => {
      const service = serviceOfPath(path.split('?')[0] ?? '');
      if (!service) throw new DomainError('NOT_FOUND', `no service of Dispatch answers ${path}`);
      return urlOf(service);
    },
    ...(publicUrl && { publicUrl }),
    ...(endpointsUrl && { endpointsUrl: endpointsUrl.replace(/\/+$/, '') }),
    secureCookies: publicUrl?.startsWith('https:') ?? false,
    // Every api-gateway replica serves every user: sessions are kept in the entity store.
    sessions: 'store',
  };
}
