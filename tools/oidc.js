#!/usr/bin/env node
// An OpenID provider for development and tests: oidc-provider (a certified OpenID Connect server) on a
// loopback port, standing in for the Keycloak or Dex a user would run. `node tools/oidc.js
// start|stop|restart|status` runs it in the background; `node tools/oidc.js serve [--port N]
// [--id-token-ttl S]` in the foreground (tests run their own). OIDC_PORT (default 9400) picks the port.
// Dispatch is its client `dispatch` (secret `dispatch-secret`); its users are in tools/oidc/users.json.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { cli, Daemon, log, ROOT, waitFor } from './lib/daemon.js';

const port = Number(process.env.OIDC_PORT ?? 9400);
const issuer = `http://127.0.0.1:${port}`;
const daemon = new Daemon(`oidc-${port}`);

export async function start() {
  if (daemon.alive()) return issuer;
  log(`starting the OpenID provider on ${issuer}`);
  daemon.start(process.execPath, [join(ROOT, 'tools/oidc.js'), 'serve', '--port', String(port)]);
  await waitFor(
    'the OpenID provider',
    async () => (await fetch(`${issuer}/.well-known/openid-configuration`)).ok,
    30_000,
    daemon,
  );
  log(`OpenID provider listening on ${issuer}`);
  return issuer;
}

export async function stop() {
  if (await daemon.stop()) log(`OpenID provider on ${issuer} stopped`);
}

export function status() {
  return daemon.alive()
    ? `OpenID provider running on ${issuer} (pid ${daemon.pid()})`
    : 'OpenID provider not running';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === 'serve') {
    const { values } = parseArgs({
      args: process.argv.slice(3),
      options: { port: { type: 'string' }, 'id-token-ttl': { type: 'string' } },
    });
    const { serve } = await import('./oidc/provider.js');
    await serve({
      port: Number(values.port ?? port),
      idTokenTtl: values['id-token-ttl'] ? Number(values['id-token-ttl']) : 3600,
    });
  } else {
    await cli({ start, stop, status });
  }
}
