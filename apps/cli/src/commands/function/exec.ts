import { readFileSync } from 'node:fs';
import { DomainError } from '@dispatch/contracts';
import { stringify } from 'yaml';
import { clientFor, type GlobalOptions } from '../../global-options.js';

function parseInput(text: string, from: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `the input from ${from} is not JSON: ${(err as Error).message}`,
    );
  }
}

/**
 * `dispatch exec FUNCTION`: input from `--input` or standard input; prints the function's result as
 * `{context: {logs, error}, payload}`. A run whose function failed prints the result and exits 1.
 */
export async function execFunction(
  name: string,
  options: { input?: string; async?: boolean; secret?: string[] },
  global: GlobalOptions,
): Promise<void> {
  const input =
    options.input !== undefined
      ? parseInput(options.input, '--input')
      : process.stdin.isTTY
        ? null
        : parseInput(readFileSync(0, 'utf8'), 'standard input');
  const run = await clientFor(global).runFunction(name, {
    input,
    blocking: !options.async,
    secrets: options.secret,
  });
  const result = options.async
    ? { name: run.name, functionName: run.functionName, status: run.status }
    : { context: { logs: run.logs, error: run.error }, payload: run.output };
  process.stdout.write(global.output === 'yaml' ? stringify(result) : `${JSON.stringify(result, null, 4)}\n`);
  if (run.error) process.exitCode = 1;
}
