import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { join } from 'node:path';
import { launchChromium, screenshot, seriousAxeViolations, settled } from './console-browser.js';
import { eventually } from './eventually.js';
import { freePort, ROOT, start, waitForHttp, type Started } from './processes.js';
import { startSoloSession, type SoloSession } from './solo-session.js';

const HELLO = `module.exports = (context, params) => {
  console.log('hello from the console, ' + params.name);
  return { greeting: 'Hello, ' + params.name };
};
`;
const SECRET_VALUE = 'hunter2-never-shown';

/**
 * The web console in a real browser (Debian's Chromium through playwright-core), against solo with a
 * real OpenID provider: the one-time link signs the local administrator in; a developer signs in
 * through the provider. Each page passes axe's serious checks.
 */
describe('the web console (solo, Chromium)', () => {
  let idp: Started;
  let session: SoloSession;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  /** Every answer the admin's browser got, to prove a secret's value never reached it. */
  const bodies: Promise<string>[] = [];

  const console = () => `http://127.0.0.1:${session.port}/ui`;

  async function expectAccessible(name: string) {
    await settled(page);
    expect({ page: name, violations: await seriousAxeViolations(page) }).toEqual({
      page: name,
      violations: [],
    });
  }

  beforeAll(async () => {
    const idpPort = await freePort();
    const issuer = `http://127.0.0.1:${idpPort}`;
    idp = start(process.execPath, [join(ROOT, 'tools/oidc.js'), 'serve', '--port', String(idpPort)]);
    await waitForHttp(`${issuer}/.well-known/openid-configuration`, idp);
    session = await startSoloSession('console', [], {
      DISPATCH_OIDC_ISSUER: issuer,
      DISPATCH_OIDC_CLIENT_ID: 'dispatch',
      DISPATCH_OIDC_CLIENT_SECRET: 'dispatch-secret',
    });
    await session.nodejsImage();
    // Developers may look at everything and nothing more.
    const policy = await session.dispatch([
      'iam',
      'create',
      'policy',
      'developers-read',
      '--subject',
      'group:developers',
      '--resource',
      '*',
      '--action',
      'get',
    ]);
    expect(policy).toMatchObject({ code: 0 });
    browser = await launchChromium();
    admin = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    page = await admin.newPage();
    page.on('response', (res: Response) => {
      if (res.url().includes('/ui/api/')) bodies.push(res.text().catch(() => ''));
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await session?.stop();
    await idp?.stop();
  });

  it('signs the local administrator in with the link solo printed, once', async () => {
    const link = /Console: (\S+)/.exec(session.output())?.[1];
    expect(link).toMatch(/\/ui\/login\/link\?token=/);
    await page.goto(link as string);
    await page.getByRole('heading', { name: 'Functions' }).waitFor();
    await expect(page.getByLabel('Signed in as').textContent()).resolves.toBe('default/admin');
    await expectAccessible('functions');

    // The link is spent: another browser following it is not signed in.
    const other = await browser.newContext();
    const second = await other.newPage();
    await second.goto(link as string);
    await second.getByText('That link no longer signs in').waitFor();
    await other.close();
  }, 60_000);

  it('creates a function from a file, sees it become READY, runs it and reads its output and logs', async () => {
    await page.getByRole('button', { name: 'Create function' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create function' });
    await dialog.getByLabel('Name').fill('hello');
    await dialog.getByRole('combobox', { name: 'Image' }).click();
    await page.getByRole('option', { name: /^nodejs/ }).click();
    await dialog.locator('input[type=file]').setInputFiles({
      name: 'hello.js',
      mimeType: 'text/javascript',
      buffer: Buffer.from(HELLO),
    });
    await expectAccessible('create function');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();

    await page.getByRole('heading', { name: 'hello' }).waitFor();
    // The status moves by itself, with no reload.
    await page.getByRole('table', { name: 'The function' }).getByText('READY').waitFor({ timeout: 60_000 });
    await expectAccessible('function');

    await page.getByLabel('Input (JSON)').fill('{"name": "console"}');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const result = page.getByRole('status');
    await expect(result.getByLabel('Output').textContent()).resolves.toContain(
      '"greeting": "Hello, console"',
    );
    await expect(result.getByLabel('Logs').textContent()).resolves.toContain(
      'hello from the console, console',
    );
    // The run shows up in the function's runs without a reload.
    await page.getByRole('table', { name: 'The runs of this project' }).getByText('OK').first().waitFor();
    await screenshot(page, 'function');

    await page.getByRole('link', { name: 'Runs' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await page.getByRole('cell', { name: 'hello' }).first().waitFor();
    await expectAccessible('runs');
    await screenshot(page, 'runs');
    await page.getByRole('link', { name: 'Functions' }).click();
    await page.getByRole('link', { name: 'hello' }).waitFor();
    await screenshot(page, 'functions');
  }, 120_000);

  it('creates an endpoint and opens it', async () => {
    await page.getByRole('link', { name: 'Endpoints' }).click();
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create endpoint' });
    await dialog.getByLabel('Name').fill('hello-web');
    await dialog.getByRole('combobox', { name: 'Function' }).click();
    await page.getByRole('option', { name: 'hello' }).click();
    await dialog.getByLabel('Path').fill('/hello-web');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const link = page.getByRole('link', { name: /\/hello-web$/ });
    await link.waitFor();
    await expectAccessible('endpoints');
    await screenshot(page, 'endpoints');

    const href = (await link.getAttribute('href')) as string;
    expect(href).toBe(`${session.gateway.http}/hello-web`);
    const opened = await admin.newPage();
    // The gateway learns a new route from the store's watch: a moment after the create.
    const body = await eventually('the endpoint answering', async () => {
      const res = await opened.goto(`${href}?name=web`);
      return res?.status() === 200 ? opened.textContent('body') : undefined;
    });
    expect(body).toContain('Hello, web');
    await opened.close();
  }, 60_000);

  it('creates a secret and never shows its value', async () => {
    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByRole('button', { name: 'Create secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create secret' });
    await dialog.getByLabel('Name').fill('db');
    await dialog.getByLabel('Key 1', { exact: true }).fill('password');
    await dialog.getByLabel('Value 1', { exact: true }).fill(SECRET_VALUE);
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('cell', { name: 'db', exact: true }).waitFor();
    await page.getByRole('cell', { name: 'password' }).waitFor();
    await expectAccessible('secrets');
    await screenshot(page, 'secrets');
    await expect(page.content()).resolves.not.toContain(SECRET_VALUE);
    // Not on the page, and not in anything the API sent the browser either.
    for (const body of await Promise.all(bodies)) expect(body).not.toContain(SECRET_VALUE);
    // It is stored all the same: the CLI, with the administrator's key, reads it.
    const stored = await session.dispatch(['get', 'secret', 'db', '--show-values', '-o', 'json']);
    expect(stored.stdout).toContain(SECRET_VALUE);
  }, 60_000);

  it('lists every other kind of resource, each page accessible', async () => {
    for (const [link, heading] of [
      ['Images', 'Images'],
      ['Base images', 'Base images'],
      ['Subscriptions', 'Subscriptions'],
      ['Event drivers', 'Event drivers'],
      ['Event driver types', 'Event driver types'],
      ['Dead letters', 'Dead letters'],
      ['Applications', 'Applications'],
      ['Organizations', 'Organizations'],
      ['Service accounts', 'Service accounts'],
      ['Policies', 'Policies'],
    ] as const) {
      await page.getByRole('navigation').getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.getByRole('table').or(page.getByRole('alert')).first().waitFor();
      await expectAccessible(heading);
    }
    await page.getByRole('navigation').getByRole('link', { name: 'Images', exact: true }).click();
    await page.getByRole('cell', { name: 'nodejs', exact: true }).first().waitFor();
    await screenshot(page, 'images');
  }, 90_000);

  it('signs a developer in through the OpenID provider, who sees but is refused with the reason', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      reducedMotion: 'reduce',
    });
    const dev = await context.newPage();
    await dev.goto(`${console()}/`);
    await expect(seriousAxeViolations(dev)).resolves.toEqual([]);
    await dev.getByRole('link', { name: 'Sign in' }).click();
    // The provider's own sign-in form.
    await dev.getByPlaceholder('user name').fill('alice');
    await dev.getByPlaceholder('password').fill('alice-password');
    await dev.getByRole('button', { name: 'Sign in' }).click();
    await dev.getByRole('heading', { name: 'Functions' }).waitFor();
    await expect(dev.getByLabel('Signed in as').textContent()).resolves.toBe('alice@example.com');
    // Reading is allowed: the administrator's function is listed.
    await dev.getByRole('link', { name: 'hello' }).waitFor();

    await dev.getByRole('button', { name: 'Create function' }).click();
    const dialog = dev.getByRole('dialog', { name: 'Create function' });
    await dialog.getByLabel('Name').fill('not-allowed');
    await dialog.getByRole('combobox', { name: 'Image' }).click();
    await dev.getByRole('option', { name: /^nodejs/ }).click();
    await dialog.getByText('Write it here').click();
    await dialog.getByRole('textbox', { name: 'Code' }).fill('module.exports = () => 1;');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toContain(
      'alice@example.com may not create function in organization default',
    );
    await screenshot(dev, 'refused');

    // Signing out ends the session: the cookie no longer works, even replayed.
    const cookies = await context.cookies();
    await dev.keyboard.press('Escape');
    await dev.getByRole('button', { name: 'Sign out' }).click();
    await dev.getByRole('heading', { name: 'Dispatch console' }).waitFor();
    const replay = await fetch(`${console()}/session`, {
      headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') },
    });
    expect(replay.status).toBe(401);
    await context.close();
  }, 90_000);

  it('refuses calls without the session, or without its CSRF token', async () => {
    const cookies = await admin.cookies();
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const noCookie = await fetch(`${console()}/api/v1/function`, { headers: { 'x-csrf-token': 'x' } });
    expect(noCookie.status).toBe(401);
    // A page of another site can make the browser send the cookie, but cannot read the CSRF token.
    const noToken = await fetch(`${console()}/api/v1/function`, { method: 'DELETE', headers: { cookie } });
    expect(noToken.status).toBe(403);
    await expect(noToken.json()).resolves.toMatchObject({ message: expect.stringContaining('X-CSRF-Token') });
    expect(cookies.find((c) => c.name === 'dispatch_console')).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
    });
    // The function is still there.
    await expect(session.dispatch(['get', 'function', 'hello'])).resolves.toMatchObject({ code: 0 });
  });
});
