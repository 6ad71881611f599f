import { ApiError, type DispatchClient } from '@dispatch/api-client';
import type { PrintedLog, Run } from '@dispatch/contracts';

/** How long a follow keeps trying to follow again after its server went away, before it gives up. */
const RECONNECT_FOR_MS = 30_000;
const RECONNECT_WAIT_MS = 1_000;

/** Run names remembered to show each run once: more than a journal keeps of a function (100). */
const REMEMBERED = 1000;

/**
 * Follows runs until Ctrl-C: `recent` is called each time the server follows (first, and after every
 * reconnection, so runs that finished while it was away are shown too), then `each` for every run that
 * finishes, each run once. When the server ends the stream (a replica stopping for a rollout) or the
 * connection breaks, it follows again, saying so on stderr; it gives up with an error after 30 s without
 * a server. Ctrl-C ends it with exit code 130 and nothing more printed.
 */
export async function followRuns(
  client: DispatchClient,
  functionName: string | undefined,
  /** The runs to show before the new ones, oldest first; `again` after a reconnection. */
  recent: (again: boolean) => Promise<Run[]>,
  each: (run: Run) => void,
  /** With it, what runs print as they print it, too (runners that send it as it comes: nodejs, python3). */
  onLog?: (log: PrintedLog) => void,
): Promise<void> {
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  const seen = new Set<string>();
  const show = (run: Run) => {
    if (seen.has(run.name)) return;
    seen.add(run.name);
    // A Set iterates in insertion order: the first is the oldest.
    if (seen.size > REMEMBERED) seen.delete(seen.values().next().value as string);
    each(run);
  };
  let failingSince: number | undefined;
  let again = false;
  try {
    while (!interrupt.signal.aborted) {
      let following;
      try {
        following = await client.followRuns(functionName, interrupt.signal, { logs: onLog !== undefined });
      } catch (err) {
        if (interrupt.signal.aborted) break;
        // Refused (no such right, too many follows) is final; a server away is waited for.
        if (!(err instanceof ApiError) || err.code !== 'UNAVAILABLE') throw err;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > RECONNECT_FOR_MS) throw err;
        await sleep(RECONNECT_WAIT_MS, interrupt.signal);
        continue;
      }
      failingSince = undefined;
      for (const run of await recent(again)) show(run);
      again = true;
      for await (const event of following.events) {
        if ('run' in event) show(event.run);
        else onLog?.(event.log);
      }
      if (interrupt.signal.aborted) break;
      console.error(`(${following.ended() ?? 'the server ended the stream'}; following again)`);
      await sleep(RECONNECT_WAIT_MS, interrupt.signal);
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
  process.exitCode = 130;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}
