import type { Run } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions, type OutputFormat } from '../../global-options.js';
import { print, when } from '../../print.js';
import { followRuns } from './follow.js';

const HEADER = ['ID', 'FUNCTION', 'STATUS', 'STARTED', 'DURATION'];

/** `dispatch get runs [FUNCTION [RUN]] [-f]`. */
export async function getRuns(
  functionName: string | undefined,
  runName: string | undefined,
  options: { follow?: boolean },
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor(global);
  const format = outputFormat(global);
  if (options.follow) {
    if (runName) throw new Error('--follow follows a function (or the project), not one run');
    const row = rowPrinter(format);
    // The newest last, as the ones that follow.
    await followRuns(client, functionName, async () => (await client.getRuns(functionName)).reverse(), row);
    return;
  }
  const runs: Run[] = runName
    ? [await client.getRun(runName, functionName)]
    : await client.getRuns(functionName);
  print(format, runName ? runs[0] : runs, () => [HEADER, ...runs.map(cells)]);
}

function cells(r: Run): string[] {
  return [
    r.name,
    r.functionName,
    r.error ? `ERROR (${r.error.type}: ${r.error.message})` : r.status,
    when(r.executedTime),
    r.durationMs ? `${r.durationMs} ms` : '',
  ];
}

/**
 * One line per run as it comes: JSON lines for scripts, else table rows in columns fixed up front
 * (a stream cannot measure rows it has not seen; a run id is 36 characters).
 */
function rowPrinter(format: OutputFormat): (run: Run) => void {
  if (format !== 'table') return (run) => console.log(JSON.stringify(run));
  const widths = [36, 16, 10, 19];
  const line = (row: string[]) =>
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  line(HEADER);
  return (run) => line(cells(run));
}
