import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';

/** The global options, read once every command is defined (see shareProgramOptions). */
export type GlobalOf = () => GlobalOptions;

/** A repeatable option's values, in order. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `create`, `update` or `delete` with `-f FILE`: a YAML batch of any kinds; subcommands name one. */
export function batchCommand(
  program: Command,
  global: GlobalOf,
  verb: 'create' | 'update' | 'delete',
  description: string,
): Command {
  const command = program
    .command(verb)
    .description(description)
    .option(
      '-f, --file <file>',
      'a YAML file of documents of any kind (BaseImage, Image, Function, Secret, Endpoint or API, DriverType, Driver, Subscription, Application, Policy, ServiceAccount)',
    )
    .option('-w, --work-dir <dir>', "where the file's relative paths start (default: the file's folder)")
    .action(async (options: { file?: string; workDir?: string }) => {
      if (!options.file) command.help({ error: true });
      const { runBatch } = await import('../commands/batch/batch.js');
      await runBatch(verb, options.file as string, options.workDir, global());
    });
  return command;
}

export const endpointFlags = (command: Command) =>
  command
    .option('--method <method>', 'an HTTP method it answers (repeatable; default GET)', collect)
    .option('--path <path>', 'a path it answers (repeatable; default /NAME)', collect)
    .option('--host <host>', 'a host name it answers on (repeatable; default any)', collect)
    .option('--cors', 'answer CORS preflights and allow cross-origin calls')
    .option('--https-only', 'refuse plain HTTP')
    .option('--forward-credentials', "let the function see callers' Authorization and Cookie headers")
    .option('--disable', 'keep the endpoint but serve nothing');
export const functionFlags = (command: Command) =>
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
