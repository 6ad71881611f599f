#!/usr/bin/env node
// The `dispatch` command. The CLI is TypeScript built into ../dist by `npm install` (or `npm run build`).
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error(
    'error: the dispatch CLI is not built yet; run `npm install` (or `npm run build`) in the Dispatch checkout',
  );
  process.exit(1);
}
await import(main.href);
