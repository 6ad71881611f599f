import type { VersionInfo } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../global-options.js';
import { print } from '../print.js';

/** `dispatch version`: the CLI's version and the server's, as the original CLI printed them. */
export async function version(clientVersion: string, options: GlobalOptions): Promise<void> {
  const server: VersionInfo = await clientFor(options).version();
  print(outputFormat(options), { client: clientVersion, server }, () => [
    ['', 'VERSION', 'COMMIT', 'SHAPE'],
    ['client', clientVersion, '', ''],
    ['server', server.version, server.commit, server.shape],
  ]);
}
