import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';
import { batchCommand, type GlobalOf } from './flags.js';

/** `dispatch delete ...`: one resource by name, or a batch from a file. */
export function registerDelete(program: Command, global: GlobalOf): void {
  const del = batchCommand(program, global, 'delete', 'delete resources');
  for (const [noun, aliases, module, fn] of [
    ['base-image', ['baseimage'], '../commands/baseimage/baseimage.js', 'deleteBaseImage'],
    ['image', [], '../commands/image/image.js', 'deleteImage'],
    ['function', [], '../commands/function/function.js', 'deleteFunction'],
    ['secret', [], '../commands/secret/secret.js', 'deleteSecret'],
    ['endpoint', ['api'], '../commands/endpoint/endpoint.js', 'deleteEndpoint'],
    ['subscription', [], '../commands/event/subscription.js', 'deleteSubscription'],
    ['dead-letter', ['deadletter'], '../commands/event/dead-letter.js', 'deleteDeadLetter'],
    ['eventdriver', ['event-driver', 'driver'], '../commands/event/driver.js', 'deleteDriver'],
    [
      'eventdrivertype',
      ['event-driver-type', 'drivertype'],
      '../commands/event/driver.js',
      'deleteDriverType',
    ],
  ] as const) {
    del
      .command(noun)
      .aliases([...aliases])
      .argument('<name>')
      .action(async (name: string) => {
        const mod = (await import(module)) as Record<
          string,
          (name: string, g: GlobalOptions) => Promise<void>
        >;
        await mod[fn]?.(name, global());
      });
  }

  del
    .command('application')
    .argument('<name>')
    .option('--cascade', 'also delete every member of the application')
    .action(async (name: string, options: { cascade?: boolean }) => {
      const { deleteApplication } = await import('../commands/application/application.js');
      await deleteApplication(name, options, global());
    });
}
