import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';

export interface Asset {
  type: string;
  etag: string;
  identity: Buffer;
  br?: Buffer;
  gzip?: Buffer;
  /** Hashed names never change: cached for a year. index.html is asked for again each time. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * The built console, read into memory once: it is a few files, and each is served compressed as the
 * build left it (.br, .gz beside the original), so a page load costs no compression work here.
 */
export function loadAssets(dir: string): Map<string, Asset> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const assets = new Map<string, Asset>();
  for (const file of walk(dir)) {
    if (file.endsWith('.br') || file.endsWith('.gz')) continue;
    const identity = readFileSync(file);
    const name = `/${relative(dir, file).split('\\').join('/')}`;
    assets.set(name, {
      type: TYPES[extname(file)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
      identity,
      br: existsSync(`${file}.br`) ? readFileSync(`${file}.br`) : undefined,
      gzip: existsSync(`${file}.gz`) ? readFileSync(`${file}.gz`) : undefined,
      immutable: name.startsWith('/assets/'),
    });
  }
  return assets;
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/** The best encoding the browser accepts of those the asset has. */
export function encodingFor(asset: Asset, accepted: string | undefined): 'br' | 'gzip' | undefined {
  const accepts = (accepted ?? '').toLowerCase();
  if (asset.br && /\bbr\b/.test(accepts)) return 'br';
  if (asset.gzip && /\bgzip\b/.test(accepts)) return 'gzip';
  return undefined;
}
