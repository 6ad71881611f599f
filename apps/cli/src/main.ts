import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ApiError } from '@dispatch/api-client';
import { DomainError, type ErrorCode } from '@dispatch/contracts';
import type { GlobalOptions } from './global-options.js';
import { shareProgramOptions } from './shared-options.js';
import type * as IamCommands from './commands/iam/iam.js';

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
const collect = (value: string, previous: string[] = []) => [...previous, value];

program
  .command('version')
  .description('print the client and server versions')
  .action(async () => {
    const { version } = await import('./commands/version.js');
    await version(cliVersion, global());
  });

function batchCommand(verb: 'create' | 'update' | 'delete', description: string): Command {
  const command = program
    .command(verb)
    .description(description)
    .option(
      '-f, --file <file>',
      'a YAML file of documents of any kind (BaseImage, Image, Function, Secret, Endpoint, DriverType, Driver, Subscription)',
    )
    .option('-w, --work-dir <dir>', "where the file's relative paths start (default: the file's folder)")
    .action(async (options: { file?: string; workDir?: string }) => {
      if (!options.file) command.help({ error: true });
      const { runBatch } = await import('./commands/batch/batch.js');
      await runBatch(verb, options.file as string, options.workDir, global());
    });
  return command;
}

const create = batchCommand('create', 'create resources');
create
  .command('base-image')
  .alias('baseimage')
  .description('create a base image: a language runtime and its container image URL')
  .argument('<name>')
  .argument('<image-url>')
  .requiredOption('--language <language>', 'nodejs, python3 or java')
  .option('--wait', 'wait until it is READY')
  .action(async (name: string, url: string, options: { language: string; wait?: boolean }) => {
    const { createBaseImage } = await import('./commands/baseimage/baseimage.js');
    await createBaseImage(name, url, options, global());
  });
create
  .command('image')
  .description('create an image: a base image (name or URL) plus dependencies, built once')
  .argument('<name>')
  .argument('<base-image>')
  .option('--runtime-deps <file>', 'package.json, requirements.txt or pom.xml')
  .option('--system-deps <file>', 'system packages, one a line (name or name=version)')
  .option('--wait', 'wait until it is READY')
  .action(
    async (
      name: string,
      base: string,
      options: { runtimeDeps?: string; systemDeps?: string; wait?: boolean },
    ) => {
      const { createImage } = await import('./commands/image/image.js');
      await createImage(name, base, options, global());
    },
  );
const endpointFlags = (command: Command) =>
  command
    .option('--method <method>', 'an HTTP method it answers (repeatable; default GET)', collect)
    .option('--path <path>', 'a path it answers (repeatable; default /NAME)', collect)
    .option('--host <host>', 'a host name it answers on (repeatable; default any)', collect)
    .option('--cors', 'answer CORS preflights and allow cross-origin calls')
    .option('--https-only', 'refuse plain HTTP')
    .option('--forward-credentials', "let the function see callers' Authorization and Cookie headers")
    .option('--disable', 'keep the endpoint but serve nothing');
const functionFlags = (command: Command) =>
  command
    .option('--image <image>', 'the image the function runs on')
    .option(
      '--handler <handler>',
      'nodejs ./file.js, python3 module.function, java a class (inferred for one file)',
    )
    .option('--schema-in <file>', 'JSON schema the input must match')
    .option('--schema-out <file>', 'JSON schema the output must match')
    .option('--secret <name>', 'a secret for context.secrets (repeatable)', collect)
    .option('--timeout <ms>', 'how long a run may take, in milliseconds')
    .option('--wait', 'wait until it is READY');
functionFlags(
  create
    .command('function')
    .description('create a function from a file or a directory')
    .argument('<name>')
    .argument('<source>'),
).action(async (name: string, source: string, options: object) => {
  const { createFunction } = await import('./commands/function/function.js');
  await createFunction(name, source, options, global());
});
endpointFlags(
  create
    .command('endpoint')
    .description('put a function behind HTTP paths and methods on the gateway')
    .argument('<name>')
    .argument('<function>'),
).action(async (name: string, fn: string, options: object) => {
  const { createEndpoint } = await import('./commands/endpoint/endpoint.js');
  await createEndpoint(name, fn, options, global());
});
create
  .command('application')
  .description('create an application: members of any kind join it with -a NAME')
  .argument('<name>')
  .action(async (name: string) => {
    const { createApplication } = await import('./commands/application/application.js');
    await createApplication(name, global());
  });
create
  .command('secret')
  .description('create a secret from a JSON file of names to values')
  .argument('<name>')
  .argument('<file>')
  .action(async (name: string, file: string) => {
    const { createSecret } = await import('./commands/secret/secret.js');
    await createSecret(name, file, global());
  });
create
  .command('subscription')
  .description("deliver events of a type to a function: each event's data is a run's input")
  .argument('<function>')
  .option('--event-type <type>', 'the type of events to deliver')
  .option('--name <name>', 'the subscription name (default: FUNCTION-EVENT-TYPE)')
  .option('--secret <name>', 'a secret for context.secrets (repeatable)', collect)
  .action(async (fn: string, options: object) => {
    const { createSubscription } = await import('./commands/event/subscription.js');
    await createSubscription(fn, options, global());
  });
create
  .command('eventdrivertype')
  .aliases(['event-driver-type', 'drivertype'])
  .description('add a type of event driver: a program (on this machine) or an image (in Kubernetes)')
  .argument('<name>')
  .argument('<image>')
  .option('--set <key=value>', 'a setting every driver of the type gets (repeatable)', collect)
  .option('--expose', 'its drivers take HTTP requests')
  .action(async (name: string, image: string, options: object) => {
    const { createDriverType } = await import('./commands/event/driver.js');
    await createDriverType(name, image, options, global());
  });
create
  .command('eventdriver')
  .aliases(['event-driver', 'driver'])
  .description('run an event driver of a type: timer, webhook, or one you added')
  .argument('<type>')
  .option('--name <name>', 'the driver name: lower case, digits and - (default: the type)')
  .option(
    '--set <key=value>',
    'a setting, e.g. interval=10s, cron=..., secret=..., event-type=... (repeatable)',
    collect,
  )
  .option('--secret <name>', 'a secret whose values the driver gets (repeatable)', collect)
  .action(async (type: string, options: object) => {
    const { createDriver } = await import('./commands/event/driver.js');
    await createDriver(type, options, global());
  });
create
  .command('seed-images')
  .description('create the nodejs, python3 and java base images and images')
  .action(async () => {
    const { createSeedImages } = await import('./commands/seed-images/create.js');
    await createSeedImages(global());
  });

const update = batchCommand('update', 'update resources');
functionFlags(
  update
    .command('function')
    .description("replace a function's code and settings")
    .argument('<name>')
    .argument('<source>'),
).action(async (name: string, source: string, options: object) => {
  const { updateFunction } = await import('./commands/function/function.js');
  await updateFunction(name, source, options, global());
});

endpointFlags(
  update
    .command('endpoint')
    .description("replace an endpoint's settings")
    .argument('<name>')
    .argument('<function>'),
).action(async (name: string, fn: string, options: object) => {
  const { updateEndpoint } = await import('./commands/endpoint/endpoint.js');
  await updateEndpoint(name, fn, options, global());
});
update
  .command('subscription')
  .description("change a subscription's function, event type or secrets")
  .argument('<name>')
  .argument('<function>')
  .option('--event-type <type>', 'the type of events to deliver')
  .option('--secret <name>', 'a secret for context.secrets (repeatable)', collect)
  .action(async (name: string, fn: string, options: object) => {
    const { updateSubscription } = await import('./commands/event/subscription.js');
    await updateSubscription(name, fn, options, global());
  });
update
  .command('eventdriver')
  .aliases(['event-driver', 'driver'])
  .description("replace an event driver's settings or secrets")
  .argument('<name>')
  .option('--set <key=value>', 'a setting (repeatable; replaces all of them)', collect)
  .option('--secret <name>', 'a secret whose values the driver gets (repeatable)', collect)
  .action(async (name: string, options: object) => {
    const { updateDriver } = await import('./commands/event/driver.js');
    await updateDriver(name, options, global());
  });
update
  .command('secret')
  .description("replace a secret's values from a JSON file")
  .argument('<name>')
  .argument('<file>')
  .action(async (name: string, file: string) => {
    const { updateSecret } = await import('./commands/secret/secret.js');
    await updateSecret(name, file, global());
  });

const get = program
  .command('get')
  .description('show resources; with --application alone, every member of that application')
  .action(async () => {
    const { application } = global();
    if (!application) get.help({ error: true });
    const { getMembers } = await import('./commands/application/application.js');
    await getMembers(application as string, global());
  });
get
  .command('application')
  .alias('applications')
  .argument('[name]')
  .action(async (name?: string) => {
    const { getApplications } = await import('./commands/application/application.js');
    await getApplications(name, global());
  });
get
  .command('base-image')
  .aliases(['base-images', 'baseimage', 'baseimages'])
  .argument('[name]')
  .action(async (name?: string) => {
    const { getBaseImages } = await import('./commands/baseimage/baseimage.js');
    await getBaseImages(name, global());
  });
get
  .command('image')
  .alias('images')
  .argument('[name]')
  .action(async (name?: string) => {
    const { getImages } = await import('./commands/image/image.js');
    await getImages(name, global());
  });
get
  .command('function')
  .alias('functions')
  .argument('[name]')
  .action(async (name?: string) => {
    const { getFunctions } = await import('./commands/function/function.js');
    await getFunctions(name, global());
  });
get
  .command('endpoint')
  .alias('endpoints')
  .argument('[name]')
  .action(async (name?: string) => {
    const { getEndpoints } = await import('./commands/endpoint/endpoint.js');
    await getEndpoints(name, global());
  });
get
  .command('secret')
  .alias('secrets')
  .argument('[name]')
  .option('--show-values', 'show the values, which are hidden otherwise')
  .action(async (name: string | undefined, options: { showValues?: boolean }) => {
    const { getSecrets } = await import('./commands/secret/secret.js');
    await getSecrets(name, options, global());
  });
get
  .command('subscription')
  .alias('subscriptions')
  .argument('[name]')
  .action(async (name?: string) => {
    const { getSubscriptions } = await import('./commands/event/subscription.js');
    await getSubscriptions(name, global());
  });
get
  .command('dead-letter')
  .aliases(['dead-letters', 'deadletter', 'deadletters'])
  .description('events whose delivery ran out of attempts')
  .argument('[name]')
  .option('--subscription <name>', "only this subscription's")
  .action(async (name: string | undefined, options: { subscription?: string }) => {
    const { getDeadLetters } = await import('./commands/event/dead-letter.js');
    await getDeadLetters(name, options, global());
  });
get
  .command('eventdriver')
  .aliases(['eventdrivers', 'event-driver', 'event-drivers', 'driver', 'drivers'])
  .argument('[name]')
  .action(async (name?: string) => {
    const { getDrivers } = await import('./commands/event/driver.js');
    await getDrivers(name, global());
  });
get
  .command('eventdrivertype')
  .aliases(['eventdrivertypes', 'event-driver-type', 'event-driver-types', 'drivertype', 'drivertypes'])
  .argument('[name]')
  .action(async (name?: string) => {
    const { getDriverTypes } = await import('./commands/event/driver.js');
    await getDriverTypes(name, global());
  });
get
  .command('runs')
  .alias('run')
  .argument('[function]')
  .argument('[run]')
  .action(async (fn?: string, run?: string) => {
    const { getRuns } = await import('./commands/run/get.js');
    await getRuns(fn, run, global());
  });

const del = batchCommand('delete', 'delete resources');
for (const [noun, aliases, module, fn] of [
  ['base-image', ['baseimage'], './commands/baseimage/baseimage.js', 'deleteBaseImage'],
  ['image', [], './commands/image/image.js', 'deleteImage'],
  ['function', [], './commands/function/function.js', 'deleteFunction'],
  ['secret', [], './commands/secret/secret.js', 'deleteSecret'],
  ['endpoint', [], './commands/endpoint/endpoint.js', 'deleteEndpoint'],
  ['subscription', [], './commands/event/subscription.js', 'deleteSubscription'],
  ['dead-letter', ['deadletter'], './commands/event/dead-letter.js', 'deleteDeadLetter'],
  ['eventdriver', ['event-driver', 'driver'], './commands/event/driver.js', 'deleteDriver'],
  ['eventdrivertype', ['event-driver-type', 'drivertype'], './commands/event/driver.js', 'deleteDriverType'],
] as const) {
  del
    .command(noun)
    .aliases([...aliases])
    .argument('<name>')
    .action(async (name: string) => {
      const mod = (await import(module)) as Record<string, (name: string, g: GlobalOptions) => Promise<void>>;
      await mod[fn]?.(name, global());
    });
}

del
  .command('application')
  .argument('<name>')
  .option('--cascade', 'also delete every member of the application')
  .action(async (name: string, options: { cascade?: boolean }) => {
    const { deleteApplication } = await import('./commands/application/application.js');
    await deleteApplication(name, options, global());
  });

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

type IamModule = typeof IamCommands;
/** Loaded when an iam command runs, as every command's module is. */
const iamCall = async <K extends keyof IamModule>(fn: K): Promise<IamModule[K]> =>
  (await import('./commands/iam/iam.js'))[fn];
const iam = program.command('iam').description('identity: organizations, policies and service accounts');
const policyFlags = (command: Command) =>
  command
    .option('--subject <subject>', 'a user, group:<name> or <org>/<service account> (repeatable)', collect)
    .option('--resource <resource>', 'a resource kind, e.g. function, secret, or * (repeatable)', collect)
    .option('--action <action>', 'get, create, update, delete, exec or * (repeatable)', collect)
    .option('--global', 'the policy applies in every organization');

const iamCreate = iam.command('create').description('create an organization, policy or service account');
iamCreate
  .command('organization')
  .argument('<name>')
  .option(
    '--host <host>',
    "a domain its endpoints may claim, or *.domain (repeatable; an operator's grant)",
    collect,
  )
  .action(async (name: string, flags: { host?: string[] }) =>
    (await iamCall('createOrganization'))(name, flags, global()),
  );
policyFlags(iamCreate.command('policy').argument('<name>')).action(async (name: string, flags: object) =>
  (await iamCall('createPolicy'))(name, flags, global()),
);
iamCreate
  .command('serviceaccount')
  .alias('service-account')
  .argument('<name>')
  .requiredOption('--public-key <file>', "the account's RSA public key (PEM)")
  .option('--domain <domain>', "the account's domain")
  .action(async (name: string, flags: { publicKey: string; domain?: string }) =>
    (await iamCall('createServiceAccount'))(name, flags, global()),
  );

const iamGet = iam.command('get').description('show organizations, policies or service accounts');
iamGet
  .command('organization')
  .alias('organizations')
  .argument('[name]')
  .action(async (name?: string) => (await iamCall('getOrganizations'))(name, global()));
iamGet
  .command('policy')
  .alias('policies')
  .argument('[name]')
  .action(async (name?: string) => (await iamCall('getPolicies'))(name, global()));
iamGet
  .command('serviceaccount')
  .aliases(['serviceaccounts', 'service-account'])
  .argument('[name]')
  .action(async (name?: string) => (await iamCall('getServiceAccounts'))(name, global()));

const iamUpdate = iam.command('update').description('change an organization, policy or service account');
iamUpdate
  .command('organization')
  .argument('<name>')
  .option('--host <host>', 'the domains its endpoints may claim, replacing the list (repeatable)', collect)
  .option('--clear-hosts', 'grant it no host')
  .action(async (name: string, flags: object) =>
    (await iamCall('updateOrganization'))(name, flags, global()),
  );
policyFlags(iamUpdate.command('policy').argument('<name>')).action(async (name: string, flags: object) =>
  (await iamCall('updatePolicy'))(name, flags, global()),
);
iamUpdate
  .command('serviceaccount')
  .alias('service-account')
  .argument('<name>')
  .option('--public-key <file>', 'a new RSA public key (PEM): tokens signed with the old one stop working')
  .option('--domain <domain>', "the account's domain")
  .action(async (name: string, flags: object) =>
    (await iamCall('updateServiceAccount'))(name, flags, global()),
  );

const iamDelete = iam.command('delete').description('delete an organization, policy or service account');
for (const [noun, fn] of [
  ['organization', 'deleteOrganization'],
  ['policy', 'deletePolicy'],
  ['serviceaccount', 'deleteServiceAccount'],
] as const)
  iamDelete
    .command(noun)
    .argument('<name>')
    .action(async (name: string) => (await iamCall(fn))(name, global()));

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
