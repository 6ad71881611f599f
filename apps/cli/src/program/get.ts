import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';
import type { GlobalOf } from './flags.js';

type Lister = (name: string | undefined, global: GlobalOptions) => Promise<void>;

/** `dispatch get ...`: show resources, or every member of an application. */
export function registerGet(program: Command, global: GlobalOf): void {
  const get = program
    .command('get')
    .description('show resources; with --application alone, every member of that application')
    .action(async () => {
      const { application } = global();
      if (!application) get.help({ error: true });
      const { getMembers } = await import('../commands/application/application.js');
      await getMembers(application as string, global());
    });
  /** `get NOUN [name]`, answered by `fn` of a command module, loaded when it runs. */
  const list = (noun: string, aliases: string[], module: string, fn: string) =>
    get
      .command(noun)
      .aliases(aliases)
      .argument('[name]')
      .action(async (name?: string) => {
        const lister = ((await import(module)) as Record<string, Lister>)[fn] as Lister;
        await lister(name, global());
      });
  list('application', ['applications'], '../commands/application/application.js', 'getApplications');
  list(
    'base-image',
    ['base-images', 'baseimage', 'baseimages'],
    '../commands/baseimage/baseimage.js',
    'getBaseImages',
  );
  list('image', ['images'], '../commands/image/image.js', 'getImages');
  list('function', ['functions'], '../commands/function/function.js', 'getFunctions');
  list('endpoint', ['endpoints', 'api', 'apis'], '../commands/endpoint/endpoint.js', 'getEndpoints');
  get
    .command('secret')
    .alias('secrets')
    .argument('[name]')
    .option('--show-values', 'show the values, which are hidden otherwise')
    .action(async (name: string | undefined, options: { showValues?: boolean }) => {
      const { getSecrets } = await import('../commands/secret/secret.js');
      await getSecrets(name, options, global());
    });
  list('subscription', ['subscriptions'], '../commands/event/subscription.js', 'getSubscriptions');
  get
    .command('dead-letter')
    .aliases(['dead-letters', 'deadletter', 'deadletters'])
    .description('events whose delivery ran out of attempts')
    .argument('[name]')
    .option('--subscription <name>', "only this subscription's")
    .action(async (name: string | undefined, options: { subscription?: string }) => {
      const { getDeadLetters } = await import('../commands/event/dead-letter.js');
      await getDeadLetters(name, options, global());
    });
  list(
    'eventdriver',
    ['eventdrivers', 'event-driver', 'event-drivers', 'driver', 'drivers'],
    '../commands/event/driver.js',
    'getDrivers',
  );
  list(
    'eventdrivertype',
    ['eventdrivertypes', 'event-driver-type', 'event-driver-types', 'drivertype', 'drivertypes'],
    '../commands/event/driver.js',
    'getDriverTypes',
  );
  get
    .command('runs')
    .alias('run')
    .argument('[function]')
    .argument('[run]')
    .option('-f, --follow', 'go on listing runs as they finish, until Ctrl-C')
    .action(async (fn: string | undefined, run: string | undefined, options: { follow?: boolean }) => {
      const { getRuns } = await import('../commands/run/get.js');
      await getRuns(fn, run, options, global());
    });
}
