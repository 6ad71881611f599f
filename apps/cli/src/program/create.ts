import type { Command } from 'commander';
import { batchCommand, collect, endpointFlags, functionFlags, type GlobalOf } from './flags.js';

/** `dispatch create ...`: one resource from flags, or a batch from a file. */
export function registerCreate(program: Command, global: GlobalOf): void {
  const create = batchCommand(program, global, 'create', 'create resources');
  create
    .command('base-image')
    .alias('baseimage')
    .description('create a base image: a language runtime and its container image URL')
    .argument('<name>')
    .argument('<image-url>')
    .requiredOption('--language <language>', 'nodejs, python3 or java')
    .option('--wait', 'wait until it is READY')
    .action(async (name: string, url: string, options: { language: string; wait?: boolean }) => {
      const { createBaseImage } = await import('../commands/baseimage/baseimage.js');
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
        const { createImage } = await import('../commands/image/image.js');
        await createImage(name, base, options, global());
      },
    );
  functionFlags(
    create
      .command('function')
      .description('create a function from a file or a directory')
      .argument('<name>')
      .argument('<source>'),
  ).action(async (name: string, source: string, options: object) => {
    const { createFunction } = await import('../commands/function/function.js');
    await createFunction(name, source, options, global());
  });
  endpointFlags(
    create
      .command('endpoint')
      // v0.1's name for an endpoint, as its CLI and docs say it.
      .alias('api')
      .description('put a function behind HTTP paths and methods on the gateway')
      .argument('<name>')
      .argument('<function>'),
  ).action(async (name: string, fn: string, options: object) => {
    const { createEndpoint } = await import('../commands/endpoint/endpoint.js');
    await createEndpoint(name, fn, options, global());
  });
  create
    .command('application')
    .description('create an application: members of any kind join it with -a NAME')
    .argument('<name>')
    .action(async (name: string) => {
      const { createApplication } = await import('../commands/application/application.js');
      await createApplication(name, global());
    });
  create
    .command('secret')
    .description('create a secret from a JSON file of names to values')
    .argument('<name>')
    .argument('<file>')
    .action(async (name: string, file: string) => {
      const { createSecret } = await import('../commands/secret/secret.js');
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
      const { createSubscription } = await import('../commands/event/subscription.js');
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
      const { createDriverType } = await import('../commands/event/driver.js');
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
      const { createDriver } = await import('../commands/event/driver.js');
      await createDriver(type, options, global());
    });
  create
    .command('seed-images')
    .description('create the nodejs, python3 and java base images and images')
    .action(async () => {
      const { createSeedImages } = await import('../commands/seed-images/create.js');
      await createSeedImages(global());
    });
}
