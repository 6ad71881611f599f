import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, never a downloaded one, headless as CI has it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * The page's accessibility problems that are serious or critical, as axe-core finds them against WCAG
 * 2.1 A and AA. axe is evaluated through the browser's debugging protocol, which the page's
 * Content-Security-Policy does not apply to, so the console is checked with its real policy on.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  // A string, evaluated in the page (whose globals this test's own types do not describe).
  const violations = (await page.evaluate(`(async () => {
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map(({ id, impact, help, nodes }) => ({
      id,
      impact,
      help,
      nodes: nodes.slice(0, 3).map((n) => ({ target: n.target })),
    }));
  })()`)) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * Waits until no transition runs: a dialog half faded in or out has no contrast to judge. Polled from
 * here, one evaluation at a time through the debugging protocol: Playwright's own polling would
 * evaluate in the page, which the console's Content-Security-Policy (no eval) refuses.
 */
export async function settled(page: Page): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if (await page.evaluate("document.getAnimations().every((a) => a.playState !== 'running')")) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the page kept animating for 5 s');
}

/**
 * A screenshot for the README, when DISPATCH_CONSOLE_SCREENSHOTS names a folder (docs/console): the
 * pages as these tests leave them. Off by default, so a test run changes no file of the checkout.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env['DISPATCH_CONSOLE_SCREENSHOTS'];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
