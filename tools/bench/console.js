// The web console's first load in Debian's Chromium on loopback: how long until a signed-in user sees
// their functions, with an empty cache (a new browser profile each round) and with a warm one (a
// reload), and how many bytes crossed the wire each way.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { aptInstall, ROOT } from '../lib/daemon.js';
import { startNode } from './installation.js';
import { summarise } from './stats.js';

const ROUNDS = 15;

/** The built assets' sizes: as built, and as sent (Brotli). */
function assetSizes() {
  const dir = join(ROOT, 'apps/ui/dist/assets');
  const sizes = {};
  for (const file of readdirSync(dir).filter((f) => /\.(js|css)$/.test(f))) {
    const kind = file.endsWith('.js') ? 'js' : 'css';
    sizes[`${kind}_kib`] = Math.round(statSync(join(dir, file)).size / 1024);
    sizes[`${kind}_brotli_kib`] = Math.round(readFileSync(join(dir, `${file}.br`)).length / 1024);
  }
  return sizes;
}

/** Opens the console's functions page and waits until the table (with its data) is shown. */
async function load(page, url) {
  let bytes = 0;
  const counted = [];
  page.on('requestfinished', (request) => {
    counted.push(
      request.sizes().then((s) => {
        bytes += s.requestHeadersSize + s.requestBodySize + s.responseHeadersSize + s.responseBodySize;
      }),
    );
  });
  const started = performance.now();
  await page.goto(url);
  await page.getByRole('table').waitFor();
  const ms = performance.now() - started;
  await Promise.all(counted);
  page.removeAllListeners('requestfinished');
  return { ms, bytes };
}

export async function benchConsole() {
  aptInstall('chromium', ['chromium']);
  const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-console-'));
  const { child, match } = await startNode(
    join(ROOT, 'apps/solo/dist/main.js'),
    ['--port', '0', '--data-dir', join(work, 'data'), '--gateway-port', '0', '--gateway-tls-port', '0'],
    { DISPATCH_CONFIG: join(work, 'config.json') },
    /Console: (\S+)/,
  );
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    // Signed in once with the link; each round then starts from an empty cache with that session.
    const first = await browser.newContext();
    await (await first.newPage()).goto(match[1]);
    const cookies = await first.cookies();
    await first.close();
    const url = new URL('/ui/functions', match[1]).href;
    const cold = [];
    const warm = [];
    let coldBytes = 0;
    let warmBytes = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const context = await browser.newContext();
      await context.addCookies(cookies);
      const page = await context.newPage();
      const empty = await load(page, url);
      const cached = await load(page, url);
      cold.push(empty.ms);
      warm.push(cached.ms);
      coldBytes = empty.bytes;
      warmBytes = cached.bytes;
      await context.close();
    }
    return {
      first_load_empty_cache: { ...summarise(cold), transferred_kib: Math.round(coldBytes / 1024) },
      reload_warm_cache: { ...summarise(warm), transferred_kib: Math.round(warmBytes / 1024) },
      assets: assetSizes(),
    };
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(work, { recursive: true, force: true });
  }
}
