import type { Run } from '@dispatch/contracts';
import { boundedLogs } from '@dispatch/runtime';

/** What of a run's logs a follower gets: the start of each stream, marked cut past it. */
const FED_LOG_BYTES = 256 * 1024;
/** Each of the input, output, event and HTTP context, as JSON, past which a follower gets a note instead. */
const FED_FIELD_BYTES = 64 * 1024;

/**
 * A finished run as followers get it: small enough for one event of the stream and one message of the
 * bus (a broker takes about 1 MB), whatever the run carried (a body of megabytes, an answer of 16 MB).
 * The whole run stays in the journal: `dispatch get runs FUNCTION RUN` shows it.
 */
export function feedable(run: Run): Run {
  const note = (field: string) =>
    `[the ${field} is larger than ${FED_FIELD_BYTES} bytes; see dispatch get runs ${run.functionName} ${run.name}]`;
  const bounded = (field: string, value: unknown) =>
    value !== null && value !== undefined && Buffer.byteLength(JSON.stringify(value)) > FED_FIELD_BYTES
      ? note(field)
      : value;
  return {
    ...run,
    input: bounded('input', run.input),
    output: bounded('output', run.output),
    event: bounded('event', run.event) as Run['event'],
    httpContext: bounded('HTTP context', run.httpContext) as Run['httpContext'],
    logs: boundedLogs(run.logs, FED_LOG_BYTES),
  };
}
