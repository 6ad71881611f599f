import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Counts executions of a function, not run records: the function (`source`) tells this server what it
 * ran for (an event's id, or `exec-<input.i>` for a direct exec) on every execution.
 */
export interface ExecutionCounter {
  /** How many times each id was executed. */
  seen: Map<string, number>;
  /** A nodejs function reporting each execution here. */
  source: string;
  close(): void;
}

export async function startExecutionCounter(): Promise<ExecutionCounter> {
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const id = decodeURIComponent((req.url ?? '').replace('/seen/', ''));
    seen.set(id, (seen.get(id) ?? 0) + 1);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const source = `const http = require('http');
module.exports = (context, input) => new Promise((resolve, reject) => {
  const id = context.event ? context.event.eventID : 'exec-' + input.i;
  const req = http.request({ host: '127.0.0.1', port: ${port}, method: 'POST', path: '/seen/' + encodeURIComponent(id) }, (res) => { res.resume(); res.on('end', () => resolve(id)); });
  req.on('error', reject);
  req.end();
});
`;
  return { seen, source, close: () => server.close() };
}
