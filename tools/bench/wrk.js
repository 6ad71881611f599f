// Load from wrk (Debian's, installed when missing): a native load generator, so what is measured is the
// server, not a JavaScript client competing with it for the same cores.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstall } from '../lib/daemon.js';

/** wrk's latency figures (`50%    1.23ms`) in milliseconds. */
function ms(text) {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

/**
 * POSTs `body` to `url` from `connections` connections for `seconds`, and gives requests per second,
 * p50 and p99 latency, and the calls that failed or were not 2xx.
 */
export function wrk(url, { body, headers = {}, connections = 16, seconds = 8 } = {}) {
  aptInstall('wrk', ['wrk']);
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-wrk-'));
  const script = join(dir, 'post.lua');
  const lines = [
    'wrk.method = "POST"',
    `wrk.body = ${JSON.stringify(JSON.stringify(body))}`,
    'wrk.headers["Content-Type"] = "application/json"',
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
  ];
  writeFileSync(script, `${lines.join('\n')}\n`);
  const threads = Math.min(2, connections);
  const res = spawnSync(
    'wrk',
    ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency', '-s', script, url],
    { encoding: 'utf8' },
  );
  rmSync(dir, { recursive: true, force: true });
  if (res.status !== 0) throw new Error(`wrk failed: ${res.stderr || res.stdout}`);
  const out = res.stdout;
  const latency = (q) => ms(new RegExp(`^\\s+${q}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests_per_s: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)),
    p50_ms: latency(50),
    p99_ms: latency(99),
    errors:
      Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) +
      (errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
  };
}
