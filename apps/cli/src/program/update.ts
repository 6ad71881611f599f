import type { Command } from 'commander';
import { batchCommand, collect, endpointFlags, functionFlags, type GlobalOf } from './flags.js';

/** `dispatch update ...`: replace a resource, or a batch from a file. */
export function registerUpdate(program: Command, global: GlobalOf): void {
  const update = batchCommand(program, global, 'update', 'update resources');
  functionFlags(
    update
      .command('function')
      .description("replace a function's code and settings")
      .argument('<name>')
      .argument('<source>'),
  ).action(async (name: string, source: string, options: object) => {
    const { updateFunction } = await import('../commands/function/function.js');
    await updateFunction(name, source, options, global());
  });

  endpointFlags(
    update
      .command('endpoint')
      .alias('api')
      .description("replace an endpoint's settings")
      .argument('<name>')
      .argument('<function>'),
  ).action(async (name: string, fn: string, options: object) => {
    const { updateEndpoint } = await import('../commands/endpoint/endpoint.js');
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
      const { updateSubscription } = await import('../commands/event/subscription.js');
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
      const { updateDriver } = await import('../commands/event/driver.js');
      await updateDriver(name, options, global());
    });
  update
    .command('secret')
    .description("replace a secret's values from a JSON file")
    .argument('<name>')
    .argument('<file>')
    .action(async (name: string, file: string) => {
      const { updateSecret } = await import('../commands/secret/secret.js');
      await updateSecret(name, file, global());
    });
}
