#!/usr/bin/env node
// What one service needs at run time, and nothing more. @vercel/nft follows the built main.js through
// its imports (static and dynamic), the files it reads beside its code and any native addons; the
// Dockerfiles copy that list into the image instead of the whole workspace's production dependencies
// (a service image went from 310 MB to the node base plus a few MB).
//   node deploy/trace-service.mjs SERVICE OUT_DIR
// OUT_DIR gets the files at their paths under the workspace, symbolic links (the workspace's
// node_modules/@dispatch/*) kept as links, so the service runs from OUT_DIR as it does from a checkout.
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFileTrace } from '@vercel/nft';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Read at run time by paths the tracer cannot follow: etcd3's protocol files (protobufjs loads them
 * by name), the runners' sources, which the functions service starts (nodejs, python3) or compiles
 * (java) as programs of their own, and the console's page, which api-gateway serves as files.
 */
const EVERY_SERVICE = ['node_modules/etcd3/proto'];
const DIRECTORIES = {
  functions: ['libs/runtime/runners'],
  images: ['libs/runtime/runners'],
  // The web console's built page, which api-gateway serves at /ui.
  'api-gateway': ['apps/ui/dist'],
};

const [service, out] = process.argv.slice(2);
if (!service || !out) {
  console.error('usage: node deploy/trace-service.mjs SERVICE OUT_DIR');
  process.exit(2);
}

const entry = join(ROOT, 'apps', service, 'dist', 'main.js');
const { fileList, warnings } = await nodeFileTrace([entry], { base: ROOT, processCwd: ROOT });
for (const warning of warnings) {
  // An optional peer a library only tries to load (Nest's microservices, pg-native) is reported here.
  // Licence files beside grpc's protos are tried as modules too.
  const { message } = warning;
  if (!/Failed to resolve dependency|Failed to parse .*LICENSE/.test(message))
    console.warn(`trace: ${message}`);
}

/**
 * The optional dependencies installed for this platform, of every package traced: native builds that a
 * loader picks by name at run time (lmdb's `@lmdb/lmdb-linux-x64`, msgpackr's extractor), which no
 * import names.
 */
function installedOptionals(traced) {
  const found = new Set();
  for (const file of traced) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\/package\.json$/.exec(file);
    if (!match) continue;
    const { optionalDependencies = {} } = JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
    for (const name of Object.keys(optionalDependencies)) {
      for (const dir of [`${match[1]}/node_modules/${name}`, `node_modules/${name}`]) {
        if (existsSync(join(ROOT, dir))) {
          found.add(dir);
          break;
        }
      }
    }
  }
  return [...found];
}

const files = [
  ...fileList,
  'package.json',
  ...installedOptionals(fileList),
  ...EVERY_SERVICE,
  ...(DIRECTORIES[service] ?? []),
];
for (const file of files) {
  const from = join(ROOT, file);
  const to = join(out, file);
  mkdirSync(dirname(to), { recursive: true });
  const stat = lstatSync(from);
  if (stat.isSymbolicLink()) {
    symlinkSync(readlinkSync(from), to);
  } else {
    cpSync(from, to, { recursive: true, force: true });
  }
}
console.log(`${service}: ${files.length} files traced into ${out}`);
