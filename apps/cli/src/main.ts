import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ApiError } from '@dispatch/api-client';
import { DomainError, type ErrorCode } from '@dispatch/contracts';
import type { GlobalOptions } from './global-options.js';

const { version: cliVersion } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Exit codes a script can branch on: 1 for anything unexpected, otherwise by what went wrong. */
function exitCodeOf(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_ARGUMENT':
    case 'PAYLOAD_TOO_LARGE':
      return 2;
    case 'NOT_FOUND':
      return 3;
    case 'ALREADY_EXISTS':
    case 'REVISION_CONFLICT':
    case 'REVISION_COMPACTED':
      return 4;
    case 'UNAUTHENTICATED':
    case 'FORBIDDEN':
      return 5;
    case 'UNAVAILABLE':
    case 'RESOURCE_EXHAUSTED':
      return 6;
    case 'INTERNAL':
      return 1;
  }
}

const program = new Command('dispatch')
  .description('Dispatch: functions from source code, run on demand, over HTTP and from events.')
  .version(cliVersion, '--client-version', "print the CLI's own version")
  .addOption(new Option('--host <host>', 'Dispatch API host').env('DISPATCH_HOST').default('127.0.0.1'))
  .addOption(new Option('--port <port>', 'Dispatch API port').env('DISPATCH_PORT').default('8080'))
  .addOption(new Option('--scheme <scheme>', 'http or https').env('DISPATCH_SCHEME').default('http'))
  .addOption(new Option('--insecure', 'accept a self-signed server certificate'))
  .addOption(
    new Option('--organization <org>', 'organization').env('DISPATCH_ORGANIZATION').default('default'),
  )
  .addOption(new Option('--project <project>', 'project').env('DISPATCH_PROJECT').default('default'))
  .addOption(new Option('--token <token>', 'bearer token for the API').env('DISPATCH_TOKEN'))
  .addOption(new Option('-o, --output <format>', 'json or yaml instead of a table'))
  .showHelpAfterError('(run dispatch --help for usage)');

program
  .command('version')
  .description('print the client and server versions')
  .action(async () => {
    const { version } = await import('./commands/version.js');
    await version(cliVersion, program.opts<GlobalOptions>());
  });

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof ApiError || err instanceof DomainError) {
    console.error(`error: ${err.message}`);
    process.exit(exitCodeOf(err.code));
  }
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
