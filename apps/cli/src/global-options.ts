import { DispatchClient } from '@dispatch/api-client';
import { DomainError } from '@dispatch/contracts';

/** The original Dispatch CLI's global flags; each defaults to the local solo server. */
export interface GlobalOptions {
  host: string;
  port: string;
  scheme: string;
  insecure?: boolean;
  organization: string;
  project: string;
  token?: string;
  output?: string;
}

export type OutputFormat = 'table' | 'json' | 'yaml';

export function outputFormat(options: GlobalOptions): OutputFormat {
  const format = options.output ?? 'table';
  if (format === 'table' || format === 'json' || format === 'yaml') return format;
  throw new DomainError('INVALID_ARGUMENT', `unknown output format '${format}': use json or yaml`);
}

export function clientFor(options: GlobalOptions): DispatchClient {
  if (options.scheme !== 'http' && options.scheme !== 'https') {
    throw new DomainError('INVALID_ARGUMENT', `unknown scheme '${options.scheme}': use http or https`);
  }
  if (!/^\d{1,5}$/.test(options.port) || Number(options.port) > 65535) {
    throw new DomainError('INVALID_ARGUMENT', `--port must be a port number, got '${options.port}'`);
  }
  return new DispatchClient({
    baseUrl: `${options.scheme}://${options.host}:${options.port}`,
    org: options.organization,
    project: options.project,
    token: options.token,
  });
}
