import type { PrintedLog, Run } from '@dispatch/contracts';
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
  const out = printer(functionName === undefined);
  if (options.follow) await followRuns(client, functionName, recent, out.run, out.log);
  else for (const run of await recent()) out.run(run);
}

/**
 * Prints runs' output: pieces as they are printed (a follow's `log` events), else each run's logs when
 * it ends. With a prefix (every function's), only whole lines are printed, each after its function's
 * name, so two runs printing at once do not mix within a line.
 */
function printer(prefixed: boolean): { run: (run: Run) => void; log: (log: PrintedLog) => void } {
  /** Runs whose output came as it was printed, and the unfinished line of each of their streams. */
  const streamed = new Map<string, Record<PrintedLog['stream'], string>>();
  /** Runs shown whole: output of theirs arriving late (from another replica) was shown with them. */
  const shown = new Set<string>();
  const target = (stream: PrintedLog['stream']) => (stream === 'stdout' ? process.stdout : process.stderr);
  const prefixOf = (functionName: string) => (prefixed ? `${functionName} | ` : '');
  return {
    log: ({ functionName, run, stream, text }) => {
      if (shown.has(run)) return;
      const partial = streamed.get(run) ?? { stdout: '', stderr: '' };
      streamed.set(run, partial);
      if (!prefixed) {
        target(stream).write(text);
        // Only whether a line is unfinished matters here: the run's end finishes it.
        partial[stream] = text.endsWith('\n') ? '' : 'unfinished';
        return;
      }
      const lines = (partial[stream] + text).split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const line of lines) target(stream).write(`${prefixOf(functionName)}${line}\n`);
    },
    run: (run) => {
      shown.add(run.name);
      // The oldest first: a few hundred remembered is plenty for output arriving late.
      if (shown.size > 1000) shown.delete(shown.values().next().value as string);
      const partial = streamed.get(run.name);
      if (partial) {
        // Its output is out already; what is left is an unfinished last line.
        streamed.delete(run.name);
        for (const stream of ['stdout', 'stderr'] as const) {
          if (partial[stream] === '') continue;
          target(stream).write(prefixed ? `${prefixOf(run.functionName)}${partial[stream]}\n` : '\n');
        }
        return;
      }
      const prefix = prefixOf(run.functionName);
      for (const line of run.logs.stdout) process.stdout.write(`${prefix}${line}\n`);
      for (const line of run.logs.stderr) process.stderr.write(`${prefix}${line}\n`);
    },
  };
}

function parseTail(tail: string | undefined): number {
  if (tail === undefined) return 10;
  const n = Number(tail);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--tail takes a number of runs, got ${tail}`);
  return n;
}
