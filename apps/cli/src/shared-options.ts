import { Option, type Command } from 'commander';

/**
 * The program's options (`--host`, `--organization`, `-o`, ...) are taken before a command and after
 * it (`dispatch get functions -o json`), except where the command has an option of that name itself:
 * `create endpoint --host` is the endpoint's host and `iam create organization --host` the org's, as
 * in the original CLI, whose commands' own flags shadow its global ones. Commander alone would give
 * every `--host` to the program, wherever it stands, so the program's options are positional and each
 * command is given copies of those it does not shadow. `options()` gives what a command's action
 * should use: the program's values, then the copies' values given after the command.
 */
export function shareProgramOptions(program: Command): () => Record<string, unknown> {
  program.enablePositionalOptions();
  const copies = new Set<Option>();
  const visit = (command: Command) => {
    // A command with commands of its own stops at the one named, as the program does, so an option
    // after that name is the named command's.
    if (command.commands.length > 0) command.enablePositionalOptions();
    for (const option of program.options) {
      if (command.options.some((own) => own.long === option.long)) continue;
      const copy = new Option(option.flags, option.description).hideHelp();
      copies.add(copy);
      command.addOption(copy);
    }
    command.commands.forEach(visit);
  };
  program.commands.forEach(visit);

  let invoked: Command | undefined;
  program.hook('preAction', (_program, action) => {
    invoked = action;
  });
  return () => {
    const given: Record<string, unknown> = {};
    const values = invoked?.opts() ?? {};
    for (const option of invoked?.options ?? []) {
      const name = option.attributeName();
      if (copies.has(option) && values[name] !== undefined) given[name] = values[name];
    }
    return { ...program.opts(), ...given };
  };
}
