// Building the Go programs the tools run (Kubernetes' commands, CoreDNS, Traefik, Jaeger) from their
// modules under tools/, through the Go module proxy: static binaries, kept by version outside the clone.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { have, log, ROOT } from './daemon.js';

/** Builds Go commands of the module in tools/`module` into `out` (a cache directory named by version). */
export function goBuild(module, packages, out, ldflags = '') {
  if (!have('go')) throw new Error(`building ${module} needs Go (https://go.dev/doc/install)`);
  mkdirSync(out, { recursive: true });
  const names = packages.map((p) => (p === '.' ? module : p.split('/').pop()));
  log(`building ${names.join(', ')} from Go modules (once; many minutes)`);
  const res = spawnSync(
    'go',
    ['build', '-trimpath', '-ldflags', `-s -w ${ldflags}`, '-o', `${out}/`, ...packages],
    {
      cwd: join(ROOT, 'tools', module),
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CGO_ENABLED: '0' },
    },
  );
  if (res.status !== 0) throw new Error(`building ${module} failed; see the output above`);
}
