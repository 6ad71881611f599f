// After the last e2e suite: the chart installation that the kubernetes-shape suites shared goes (see
// SHARED_INSTALLATION in src/kubernetes-session.ts; plain JavaScript, since jest loads this file
// outside the suites' TypeScript transform). Its ingress controller, its release, its namespace, its data, its files.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const SHARED = join(ROOT, '.cache/e2e-kubernetes/shared.json');

export default function globalTeardown() {
  if (!existsSync(SHARED)) return;
  const { release, kubeconfig, dir } = JSON.parse(readFileSync(SHARED, 'utf8'));
  try {
    process.kill(Number(readFileSync(join(dir, 'ingress', 'ingress.pid'), 'utf8').trim()), 'SIGTERM');
  } catch {
    // the controller is not running
  }
  // The release, its namespace and its data; its volume goes back to the node.
  spawnSync(process.execPath, [join(ROOT, 'tools/k8s.js'), 'uninstall', release], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: 'inherit',
  });
  rmSync(dir, { recursive: true, force: true });
  rmSync(SHARED, { force: true });
}
