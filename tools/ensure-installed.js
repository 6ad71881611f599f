#!/usr/bin/env node
// Runs before `npm start` and `npm test`: on a fresh clone it does the `npm install` itself, so those two
// commands are all a newcomer needs. Only the Node standard library may be used here.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSandboxTools } from './sandbox.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  console.error('[tools] first run: installing dependencies (npm install)');
  const res = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

// What the tenant sandbox needs (bubblewrap, slirp4netns): installed here when missing.
ensureSandboxTools();
