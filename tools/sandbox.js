#!/usr/bin/env node
// The tools Dispatch's tenant sandbox needs (libs/sandbox): bubblewrap and slirp4netns from Debian,
// setpriv, prlimit and nsenter from util-linux, ip from iproute2. `node tools/sandbox.js` installs what is missing (root or sudo);
// `npm start` and `npm test` call `ensureSandboxTools` first. Only the Node standard library and
// tools/lib may be used here, since it runs before `npm install`.
import { chmodSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { aptInstall, have, log } from './lib/daemon.js';

/**
 * Installs bubblewrap and slirp4netns when missing. A machine where that fails still starts Dispatch,
 * which then refuses to run tenants' code and says why. With `openTun` (the test run, as root),
 * /dev/net/tun is made open to every user, as Debian ships it, so a sandbox started by an ordinary
 * user gets its network too.
 */
export function ensureSandboxTools({ openTun = false } = {}) {
  for (const [command, pkg] of [
    ['bwrap', 'bubblewrap'],
    ['slirp4netns', 'slirp4netns'],
    ['setpriv', 'util-linux'],
    ['ip', 'iproute2'],
  ]) {
    try {
      aptInstall(command, [pkg]);
    } catch (err) {
      log(`${err.message}: tenants' code will not run until it is installed`);
    }
  }
  if (openTun && process.getuid?.() === 0) {
    try {
      if ((statSync('/dev/net/tun').mode & 0o666) !== 0o666) {
        chmodSync('/dev/net/tun', 0o666);
        log('/dev/net/tun opened to every user (0666, as Debian ships it) for sandboxes without root');
      }
    } catch (err) {
      log(`cannot open /dev/net/tun: ${err.message}`);
    }
  }
  return have('bwrap') && have('slirp4netns');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exit(ensureSandboxTools({ openTun: process.argv.includes('--open-tun') }) ? 0 : 1);
}
