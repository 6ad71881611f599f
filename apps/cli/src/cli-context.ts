// The context a command runs in: the global flags over the config file's current context, and a client
// of its server. Nothing here knows credentials (see global-options.ts for the client that carries them),
// so what refreshes a login can use it without an import cycle.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DispatchClient, readCliConfig, type CliContext, type ResourceClient } from '@dispatch/api-client';
import { APPLICATION_TAG, DomainError, SOLO_PORT, type Tag } from '@dispatch/contracts';

/** The original Dispatch CLI's global flags. Unset ones come from the config file's current context. */
export interface GlobalOptions {
  host?: string;
  port?: string;
  scheme?: string;
  insecure?: boolean;
  organization?: string;
  project?: string;
  token?: string;
  config?: string;
  output?: string;
  /** `-a`: creates join this application (its tag); lists show only its members. */
  application?: string;
}

const LOCAL_SOLO: CliContext = {
  host: '127.0.0.1',
  port: SOLO_PORT,
  scheme: 'http',
  organization: 'default',
  project: 'default',
};

export function configPath(options: GlobalOptions): string {
  return options.config ?? process.env['DISPATCH_CONFIG'] ?? join(homedir(), '.dispatch', 'config.json');
}

/** Flags over the current context over the local solo server's defaults. */
export function resolveContext(options: GlobalOptions): CliContext {
  const file = readCliConfig(configPath(options));
  const current = file.current ? file.contexts?.[file.current] : undefined;
  if (file.current && !current) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `the config file names context ${file.current}, which it does not define`,
    );
  }
  const merged: CliContext = { ...LOCAL_SOLO, ...current };
  return {
    host: options.host ?? merged.host,
    port: options.port ?? merged.port,
    scheme: options.scheme ?? merged.scheme,
    insecure: options.insecure ?? merged.insecure,
    organization: options.organization ?? merged.organization,
    project: options.project ?? merged.project,
    // A token given on the command line replaces whatever credential the context holds.
    ...(options.token ? { token: options.token } : credentialsOf(merged)),
  };
}

/** The name of the current context, as `login` and `logout` update it. */
export function currentContextName(options: GlobalOptions): string {
  return readCliConfig(configPath(options)).current ?? 'default';
}

function credentialsOf(context: CliContext): Partial<CliContext> {
  const { token, serviceAccount, jwtPrivateKey, session } = context;
  return { token, serviceAccount, jwtPrivateKey, session };
}

export type { CliContext };

export type OutputFormat = 'table' | 'json' | 'yaml';

export function outputFormat(options: GlobalOptions): OutputFormat {
  const format = options.output ?? 'table';
  if (format === 'table' || format === 'json' || format === 'yaml') return format;
  throw new DomainError('INVALID_ARGUMENT', `unknown output format '${format}': use json or yaml`);
}

/** A client of the context's server, with a given credential (or none, as `login` starts). */
export function clientOf(
  context: CliContext,
  options: GlobalOptions,
  token?: () => Promise<string | undefined>,
): DispatchClient {
  if (context.scheme !== 'http' && context.scheme !== 'https') {
    throw new DomainError('INVALID_ARGUMENT', `unknown scheme '${context.scheme}': use http or https`);
  }
  const port = String(context.port);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw new DomainError('INVALID_ARGUMENT', `--port must be a port number, got '${port}'`);
  }
  if (context.insecure && context.scheme === 'https') process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
  const client = new DispatchClient({
    baseUrl: `${context.scheme}://${context.host}:${port}`,
    org: context.organization,
    project: context.project,
    token: token as (() => Promise<string>) | undefined,
  });
  return options.application ? inApplication(client, options.application) : client;
}

/**
 * The client as seen from inside an application: what it creates carries the `Application=<name>` tag
 * and what it lists is filtered by it, for every kind at once.
 */
function inApplication(client: DispatchClient, application: string): DispatchClient {
  const tag = { key: APPLICATION_TAG, value: application };
  const scoped = <T, R extends { name: string; tags?: Tag[] }>(
    resource: ResourceClient<T, R>,
  ): ResourceClient<T, R> => ({
    ...resource,
    create: async (body) => {
      await client.applications.get(application); // a clear NOT_FOUND rather than a dangling tag
      const { tags = [] } = body;
      return resource.create({ ...body, tags: [...tags.filter((t) => t.key !== tag.key), tag] });
    },
    list: (tags = []) => resource.list([...tags, tag]),
  });
  return Object.assign(Object.create(client) as DispatchClient, {
    baseImages: scoped(client.baseImages),
    images: scoped(client.images),
    functions: scoped(client.functions),
    secrets: scoped(client.secrets),
    endpoints: scoped(client.endpoints),
  });
}
