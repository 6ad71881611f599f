import type { Run } from '@dispatch/contracts';
import { clientFor, type GlobalOptions } from '../../global-options.js';
import { followRuns } from './follow.js';

export interface LogsOptions {
  follow?: boolean;
  /** How many of the latest runs to show first. */
  tail?: string;
}

/**
 * `dispatch logs [FUNCTION] [-f] [--tail N]`: what runs printed, run by run, oldest first: stdout to
 * stdout and stderr to stderr, as the function wrote them; with no function, every function of the
 * project, each line after its function's name. `-f` goes on with each run that finishes.
 */
export async function logs(functionName: string | undefined, options: LogsOptions, global: GlobalOptions) {
  const tail = parseTail(options.tail);
  const client = clientFor(global);
  // After a reconnection, the runs that finished since the follow began (those shown are not again).
  const began = Math.floor(Date.now() / 1000);
  const recent = async (again = false) => {
    const runs = await client.getRuns(functionName);
    return (again ? runs.filter((r) => r.finishedTime >= began) : runs.slice(0, tail)).reverse();
  };
  const show = printer(functionName === undefined);
  if (options.follow) await followRuns(client, functionName, recent, show);
  else for (const run of await recent()) show(run);
}

function printer(prefixed: boolean): (run: Run) => void {
  return (run) => {
    const prefix = prefixed ? `${run.functionName} | ` : '';
    for (const line of run.logs.stdout) process.stdout.write(`${prefix}${line}\n`);
    for (const line of run.logs.stderr) process.stderr.write(`${prefix}${line}\n`);
  };
}

function parseTail(tail: string | undefined): number {
  if (tail === undefined) return 10;
  const n = Number(tail);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--tail takes a number of runs, got ${tail}`);
  return n;
}
