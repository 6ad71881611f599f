// Before the first e2e suite: the images the containers and kubernetes shapes run, built once for the
// whole run rather than once per test file (even from podman's layer cache, six multi-stage builds take
// most of a minute). Plain JavaScript, like global-teardown.mjs, since jest loads it outside the
// suites' TypeScript transform. The suites learn what was built from E2E_IMAGES_BUILT.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const IMAGES = ['identity', 'images', 'functions', 'secrets', 'events', 'api-gateway', 'runner-nodejs'];

export default function globalSetup() {
  const shapes = (process.env.E2E_SHAPES ?? 'solo,services,containers,kubernetes').split(',');
  // Without root, podman and the node are not there, and those shapes are not run (tools/test.js).
  if (process.getuid?.() !== 0 || !shapes.some((s) => s === 'containers' || s === 'kubernetes')) return;
  const res = spawnSync(process.execPath, ['tools/images.js', 'build', '--network', ...IMAGES], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 1_500_000,
  });
  if (res.status !== 0) throw new Error(`building the images ${IMAGES.join(', ')} failed: see above`);
  process.env.E2E_IMAGES_BUILT = IMAGES.join(',');
}
