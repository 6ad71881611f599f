import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start, type Started } from './processes.js';

/** A host "on the internet": a server in a network namespace of its own, reached through a veth pair. */
export interface Internet {
  /** e.g. `http://198.18.3.2:8080` */
  url: string;
  host: string;
  /** Files it serves, by path (`/simple/evil/` ...), set before use. */
  serve(path: string, body: Buffer | string, contentType?: string): void;
  /** Starts another server on this host (in its namespace), stopped with it. */
  exec(command: string, args: string[]): Started;
  stop(): Promise<void>;
}

const SERVER = `
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
const [root, host, port] = process.argv.slice(2);
const seen = new Map();
createServer((req, res) => {
  const path = decodeURIComponent(req.url.split('?')[0]);
  const file = join(root, path.endsWith('/') ? path + 'index' : path);
  if (path === '/') return res.end('hello from the internet');
  // A tally kept here for tests that count what functions did: POST /seen/<id>, GET /seen.
  if (req.method === 'POST' && path.startsWith('/seen/')) {
    const id = path.slice('/seen/'.length);
    seen.set(id, (seen.get(id) ?? 0) + 1);
    return res.end('ok');
  }
  if (path === '/seen') return res.end(JSON.stringify([...seen]));
  if (!file.startsWith(root) || !existsSync(file)) { res.statusCode = 404; return res.end('not here'); }
  res.setHeader('content-type', existsSync(file + '.type') ? readFileSync(file + '.type', 'utf8') : 'application/octet-stream');
  res.end(readFileSync(file));
}).listen(Number(port), host, () => console.log('listening'));
`;

/**
 * Stands an "internet" host up for a test, never a real outside address: a network namespace with a
 * veth pair to the host (198.18.N.2 inside, the host 198.18.N.1: the range set aside for testing
 * networks, RFC 2544; not a private range, which sandboxes may not reach), and a plain HTTP server in it. A
 * sandboxed function's traffic reaches it as traffic to anywhere would: through its NAT and the host's
 * routing. Needs root (ip netns).
 */
export async function startInternet(): Promise<Internet> {
  const id = randomBytes(3).toString('hex');
  const subnet = `198.18.${(parseInt(id, 16) % 250) + 1}`;
  const ns = `dispatch-inet-${id}`;
  const [outside, inside] = [`dvo${id}`, `dvi${id}`];
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const root = mkdtempSync(join(tmpdir(), 'dispatch-internet-'));
  writeFileSync(join(root, 'server.mjs'), SERVER);
  ip('netns', 'add', ns);
  ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
  ip('link', 'set', inside, 'netns', ns);
  ip('addr', 'add', `${subnet}.1/24`, 'dev', outside);
  ip('link', 'set', outside, 'up');
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${subnet}.2/24`, 'dev', inside);
  ip('netns', 'exec', ns, 'ip', 'link', 'set', inside, 'up');
  ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  const host = `${subnet}.2`;
  const server: Started = start('ip', [
    'netns',
    'exec',
    ns,
    process.execPath,
    join(root, 'server.mjs'),
    root,
    host,
    '8080',
  ]);
  for (let i = 0; i < 100 && !server.output().includes('listening'); i += 1)
    await new Promise((r) => setTimeout(r, 50));
  const others: Started[] = [];
  return {
    url: `http://${host}:8080`,
    host,
    serve: (path, body, contentType) => {
      const file = join(root, path.endsWith('/') ? `${path}index` : path);
      execFileSync('mkdir', ['-p', join(file, '..')]);
      writeFileSync(file, body);
      if (contentType) writeFileSync(`${file}.type`, contentType);
    },
    exec: (command, args) => {
      const other = start('ip', ['netns', 'exec', ns, command, ...args]);
      others.push(other);
      return other;
    },
    stop: async () => {
      await Promise.all(others.map((o) => o.stop()));
      await server.stop();
      try {
        ip('link', 'del', outside);
      } catch {
        // gone with the namespace
      }
      ip('netns', 'del', ns);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
