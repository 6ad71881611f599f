import type { Command } from 'commander';
import type { GlobalOf } from './flags.js';

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
  get
    .command('application')
    .alias('applications')
    .argument('[name]')
    .action(async (name?: string) => {
      const { getApplications } = await import('../commands/application/application.js');
      await getApplications(name, global());
    });
  get
    .command('base-image')
    .aliases(['base-images', 'baseimage', 'baseimages'])
    .argument('[name]')
    .action(async (name?: string) => {
      const { getBaseImages } = await import('../commands/baseimage/baseimage.js');
      await getBaseImages(name, global());
    });
  get
    .command('image')
    .alias('images')
    .argument('[name]')
    .action(async (name?: string) => {
      const { getImages } = await import('../commands/image/image.js');
      await getImages(name, global());
    });
  get
    .command('function')
    .alias('functions')
    .argument('[name]')
    .action(async (name?: string) => {
      const { getFunctions } = await import('../commands/function/function.js');
      await getFunctions(name, global());
    });
  get
    .command('endpoint')
    .alias('endpoints')
    .argument('[name]')
    .action(async (name?: string) => {
      const { getEndpoints } = await import('../commands/endpoint/endpoint.js');
      await getEndpoints(name, global());
    });
  get
    .command('secret')
    .alias('secrets')
    .argument('[name]')
    .option('--show-values', 'show the values, which are hidden otherwise')
    .action(async (name: string | undefined, options: { showValues?: boolean }) => {
      const { getSecrets } = await import('../commands/secret/secret.js');
      await getSecrets(name, options, global());
    });
  get
    .command('subscription')
    .alias('subscriptions')
    .argument('[name]')
    .action(async (name?: string) => {
      const { getSubscriptions } = await import('../commands/event/subscription.js');
      await getSubscriptions(name, global());
    });
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
  get
    .command('eventdriver')
    .aliases(['eventdrivers', 'event-driver', 'event-drivers', 'driver', 'drivers'])
    .argument('[name]')
    .action(async (name?: string) => {
      const { getDrivers } = await import('../commands/event/driver.js');
      await getDrivers(name, global());
    });
  get
    .command('eventdrivertype')
    .aliases(['eventdrivertypes', 'event-driver-type', 'event-driver-types', 'drivertype', 'drivertypes'])
    .argument('[name]')
    .action(async (name?: string) => {
      const { getDriverTypes } = await import('../commands/event/driver.js');
      await getDriverTypes(name, global());
    });
  get
    .command('runs')
    .alias('run')
    .argument('[function]')
    .argument('[run]')
    .action(async (fn?: string, run?: string) => {
      const { getRuns } = await import('../commands/run/get.js');
      await getRuns(fn, run, global());
    });
}
