import type { Run } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print, when } from '../../print.js';

/** `dispatch get runs [FUNCTION [RUN]]`. */
export async function getRuns(
  functionName: string | undefined,
  runName: string | undefined,
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor(global);
  const runs: Run[] = runName
    ? [await client.getRun(runName, functionName)]
    : await client.getRuns(functionName);
  print(outputFormat(global), runName ? runs[0] : runs, () => [
    ['ID', 'FUNCTION', 'STATUS', 'STARTED', 'DURATION'],
    ...runs.map((r) => [
      r.name,
      r.functionName,
      r.error ? `ERROR (${r.error.type}: ${r.error.message})` : r.status,
      when(r.executedTime),
      r.durationMs ? `${r.durationMs} ms` : '',
    ]),
  ]);
}
