import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ApiError } from '@dispatch/api-client';
import { DomainError, type ErrorCode } from '@dispatch/contracts';
import type { GlobalOptions } from './global-options.js';
import { shareProgramOptions } from './shared-options.js';
import { registerCreate } from './program/create.js';
import { registerDelete } from './program/delete.js';
import { collect } from './program/flags.js';
import { registerGet } from './program/get.js';
import { registerIam } from './program/iam.js';
import { registerUpdate } from './program/update.js';

const { version: cliVersion } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Exit codes a script can branch on: 1 for anything unexpected, otherwise by what went wrong. */
function exitCodeOf(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_ARGUMENT':
    case 'PAYLOAD_TOO_LARGE':
    case 'METHOD_NOT_ALLOWED':
    case 'UNSUPPORTED_MEDIA_TYPE':
    case 'HTTPS_REQUIRED':
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
    case 'FUNCTION_FAILED':
    case 'DEADLINE_EXCEEDED':
      return 1;
  }
}

const program = new Command('dispatch')
  .description('Dispatch: functions from source code, run on demand, over HTTP and from events.')
  .version(cliVersion, '--client-version', "print the CLI's own version")
  .addOption(new Option('--host <host>', 'Dispatch API host (default 127.0.0.1)').env('DISPATCH_HOST'))
  .addOption(new Option('--port <port>', 'Dispatch API port (default 8080)').env('DISPATCH_PORT'))
  .addOption(new Option('--scheme <scheme>', 'http or https (default http)').env('DISPATCH_SCHEME'))
  .addOption(new Option('--insecure', 'accept a self-signed server certificate'))
  .addOption(
    new Option('--organization <org>', 'organization (default "default")').env('DISPATCH_ORGANIZATION'),
  )
  .addOption(new Option('--project <project>', 'project (default "default")').env('DISPATCH_PROJECT'))
  .addOption(new Option('--token <token>', 'bearer token for the API').env('DISPATCH_TOKEN'))
  .addOption(new Option('--config <file>', 'config file with contexts (default ~/.dispatch/config.json)'))
  .addOption(new Option('-o, --output <format>', 'json or yaml instead of a table'))
  .addOption(new Option('-a, --application <name>', 'create into this application; list only its members'))
  .showHelpAfterError('(run dispatch --help for usage)');

// Set once every command is defined (see shareProgramOptions); actions run only after that.
let programOptions: () => Record<string, unknown> = () => program.opts();
const global = () => programOptions() as GlobalOptions;

program
  .command('version')
  .description('print the client and server versions')
  .action(async () => {
    const { version } = await import('./commands/version.js');
    await version(cliVersion, global());
  });

registerCreate(program, global);
registerUpdate(program, global);
registerGet(program, global);
registerDelete(program, global);

program
  .command('emit')
  .description('emit an event (a CloudEvent) to the subscriptions of its type')
  .argument('<event-type>')
  .option('--data <json>', "the event's data, as JSON")
  .option('--data-from-file <file>', "the event's data, from a file")
  .option('--content-type <type>', 'the content type of the data (default application/json)')
  .option('--event-id <id>', "the event's id (default: a new UUID); a repeated id runs its functions once")
  .option('--source-id <source>', "the event's source (default dispatch-cli)")
  .action(async (eventType: string, options: object) => {
    const { emit } = await import('./commands/event/emit.js');
    await emit(eventType, options, global());
  });

program
  .command('exec')
  .description('execute a function; input from --input or standard input')
  .argument('<function>')
  .option('--input <json>', 'the input, as JSON')
  .option('--async', 'do not wait for the result')
  .option('--secret <name>', 'a secret for context.secrets (repeatable)', collect)
  .action(async (name: string, options: { input?: string; async?: boolean; secret?: string[] }) => {
    const { execFunction } = await import('./commands/function/exec.js');
    await execFunction(name, options, global());
  });

program
  .command('logs')
  .description("what a function's runs printed, oldest first; every function's without one")
  .argument('[function]')
  .option('-f, --follow', 'go on printing as runs finish, until Ctrl-C')
  .option('--tail <runs>', 'how many of the latest runs to show first (default 10)')
  .action(async (name: string | undefined, options: object) => {
    const { logs } = await import('./commands/run/logs.js');
    await logs(name, options, global());
  });

program
  .command('login')
  .description('log in: as a user at the OpenID provider (browser, or --device), or as a service account')
  .option('--service-account <name>', 'a service account of the organization ([org/]name)')
  .option('--jwt-private-key <file>', "the service account's private key (PEM) to sign tokens with")
  .option(
    '--device',
    'log in on another device (the device authorization flow), for a machine without a browser',
  )
  .option('--no-browser', 'print the login address instead of opening a browser')
  .action(async (options: object) => {
    const { login } = await import('./commands/login/login.js');
    await login(options, global());
  });

program
  .command('logout')
  .description("forget the current context's credential, revoking an OpenID login")
  .action(async () => {
    const { logout } = await import('./commands/login/logout.js');
    await logout(global());
  });

registerIam(program, global);

programOptions = shareProgramOptions(program);
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
