// Builds the web console into dist/: one hashed script and stylesheet, index.html naming them, and a
// Brotli and a gzip copy of each beside it, which the console's server sends as they are.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = import.meta.dirname;
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

const result = await build({
  entryPoints: [join(root, 'src/main.tsx')],
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  jsx: 'automatic',
  // The workspace's libs from their TypeScript sources, as tsc reads them.
  conditions: ['@dispatch/source'],
  define: { 'process.env.NODE_ENV': '"production"' },
  // Node's modules are named by the shared libs' Node-only helpers, which the page never uses: left
  // out, and a check below fails the build if one was kept.
  external: ['node:*'],
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
for (const [file, output] of Object.entries(result.metafile.outputs))
  for (const kept of output.imports ?? [])
    if (kept.external)
      throw new Error(`the console's bundle ${file} still imports ${kept.path}: it cannot run in a browser`);
const script = outputs.find((f) => f.endsWith('.js'));
const style = outputs.find((f) => f.endsWith('.css'));
const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Dispatch console</title>
    <link rel="icon" href="data:," />
    ${style ? `<link rel="stylesheet" href="/ui/assets/${style}" />` : ''}
    <script type="module" src="/ui/assets/${script}"></script>
  </head>
  <body>
    <div id="root"></div>
    <noscript>The Dispatch console needs JavaScript; the dispatch CLI does everything it does.</noscript>
  </body>
</html>
`;
writeFileSync(join(dist, 'index.html'), html);

for (const file of [join(dist, 'index.html'), ...outputs.map((f) => join(dist, 'assets', f))]) {
  const body = readFileSync(file);
  writeFileSync(`${file}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
}
const sizes = outputs.map((f) => {
  const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
  const path = join(dist, 'assets', f);
  return `${f} ${kib(readFileSync(path).length)} (${kib(readFileSync(`${path}.br`).length)} brotli)`;
});
if (process.env.DISPATCH_UI_BUILD_QUIET !== '1') console.log(`console built: ${sizes.join(', ')}`);
