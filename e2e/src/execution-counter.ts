import { startInternet, type Internet } from './internet.js';

/**
 * Counts executions of a function, not run records: the function (`source`) tells a server what it ran
 * for (an event's id, or `exec-<input.i>` for a direct exec) on every execution. The server stands "on
 * the internet" (see internet.ts), since a sandboxed function reaches nothing on the host's loopback.
 */
export interface ExecutionCounter {
  /** How many times each id was executed so far. */
  seen(): Promise<Map<string, number>>;
  /** A nodejs function reporting each execution to the server. */
  source: string;
  close(): Promise<void>;
}

export async function startExecutionCounter(): Promise<ExecutionCounter> {
  const internet: Internet = await startInternet();
  const source = `const http = require('http');
module.exports = (context, input) => new Promise((resolve, reject) => {
  const id = context.event ? context.event.eventID : 'exec-' + input.i;
  const req = http.request({ host: '${internet.host}', port: 8080, method: 'POST', path: '/seen/' + encodeURIComponent(id) }, (res) => { res.resume(); res.on('end', () => resolve(id)); });
  req.on('error', reject);
  req.end();
});
`;
  return {
    seen: async () => new Map((await (await fetch(`${internet.url}/seen`)).json()) as [string, number][]),
    source,
    close: () => internet.stop(),
  };
}
