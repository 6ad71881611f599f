import type { DispatchClient } from '@dispatch/api-client';
import { clientOf, resolveContext, type GlobalOptions } from './cli-context.js';
import { credentialFor } from './credentials.js';

export * from './cli-context.js';

/** A client of the command's server, carrying its context's credential (refreshing a login as needed). */
export function clientFor(options: GlobalOptions): DispatchClient {
  const context = resolveContext(options);
  return clientOf(context, options, credentialFor(context, options));
}
