import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { join } from 'node:path';
import { launchChromium, screenshot, seriousAxeViolations, settled } from './console-browser.js';
import { eventually } from './eventually.js';
import { freePort, ROOT, start, waitForHttp, type Started } from './processes.js';
import { startDistributedSession } from './distributed-session.js';
import type { Session } from './session.js';
import { SHAPES } from './shapes.js';
import { startSoloSession } from './solo-session.js';

const HELLO = `module.exports = (context, params) => {
  console.log('hello from the console, ' + params.name);
  return { greeting: 'Hello, ' + params.name };
};
`;
const SECRET_VALUE = 'hunter2-never-shown';

/** What a shape gives the console's tests. */
interface ConsoleShape {
  session: Session;
  /** The console's address: solo's API port, or the ingress in front of the services. */
  consoleUrl: string;
  /** Where the administrator's endpoint `path` answers, as the console may link it (one a gateway). */
  endpointUrls(path: string): string[];
  /** Signs the administrator in on a page: the one-time link (solo) or the OpenID provider. */
  signInAdministrator(page: Page, browser: Browser): Promise<void>;
  /** Who the administrator is, as the console shows it. */
  administrator: string;
}

const OIDC = (issuer: string) => ({
  DISPATCH_OIDC_ISSUER: issuer,
  DISPATCH_OIDC_CLIENT_ID: 'dispatch',
  DISPATCH_OIDC_CLIENT_SECRET: 'dispatch-secret',
});

/** Signs a user of tools/oidc/users.json in through the provider's own form. */
async function signInWithProvider(page: Page, consoleUrl: string, user: string): Promise<void> {
  await page.goto(`${consoleUrl}/`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByPlaceholder('user name').fill(user);
  await page.getByPlaceholder('password').fill(`${user}-password`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Functions' }).waitFor();
}

/** Works in `org` from now on: the top bar's organization. */
async function chooseOrg(page: Page, org: string): Promise<void> {
  const field = page
    .getByRole('textbox', { name: 'Organization' })
    .or(page.getByRole('combobox', { name: 'Organization' }));
  await field.fill(org);
  await field.press('Tab');
}

const shapes: [string, (issuer: string) => Promise<ConsoleShape>][] = [
  [
    'solo',
    async (issuer) => {
      const session = await startSoloSession('console', [], OIDC(issuer));
      return {
        session,
        consoleUrl: `${session.api}/ui`,
        endpointUrls: (path) => [`${session.gateway.http}${path}`],
        administrator: 'default/admin',
        signInAdministrator: async (page, browser) => {
          const link = /Console: (\S+)/.exec(session.output())?.[1];
          expect(link).toMatch(/\/ui\/login\/link\?token=/);
          await page.goto(link as string);
          await page.getByRole('heading', { name: 'Functions' }).waitFor();
          // The link is spent: another browser following it is not signed in.
          const other = await browser.newContext();
          const second = await other.newPage();
          await second.goto(link as string);
          await second.getByText('That link no longer signs in').waitFor();
          await other.close();
        },
      };
    },
  ],
  [
    'services on etcd and Kafka, two api-gateway replicas behind nginx',
    async (issuer) => {
      // Two api-gateway replicas behind nginx: a session begun on one is known to the other.
      const session = await startDistributedSession(
        'console',
        ['identity', 'images', 'functions', 'secrets', 'events', 'api-gateway'],
        OIDC(issuer),
        { replicas: { 'api-gateway': 2 } },
      );
      // bob administers the session's organization; the installation has no local administrator.
      const policy = await session.dispatch([
        'iam',
        'create',
        'policy',
        'bob-admin',
        '--subject',
        'bob@example.com',
        '--resource',
        '*',
        '--action',
        '*',
      ]);
      expect(policy).toMatchObject({ code: 0 });
      return {
        session,
        consoleUrl: `${session.api}/ui`,
        // Each api-gateway replica links its own gateway's port (this ingress serves no endpoints).
        endpointUrls: (path) => session.gatewayReplicas.map((g) => `${g.http}/${session.org}${path}`),
        administrator: 'bob@example.com',
        signInAdministrator: async (page) => {
          await signInWithProvider(page, `${session.api}/ui`, 'bob');
          await chooseOrg(page, session.org);
        },
      };
    },
  ],
];
const picked = shapes.filter(([shape]) => SHAPES.includes(shape === 'solo' ? 'solo' : 'services'));

/**
 * The web console in a real browser (Debian's Chromium through playwright-core), with a real OpenID
 * provider: in solo the one-time link signs the local administrator in, in the services shape an
 * administrator signs in through the provider; a developer who may only read signs in through it too,
 * and is refused with the server's reason. Each page passes axe's serious checks.
 */
for (const [shape, open] of picked)
  describe(`the web console (${shape}, Chromium)`, () => {
    let idp: Started;
    let shaped: ConsoleShape;
    let session: Session;
    let browser: Browser;
    let admin: BrowserContext;
    let page: Page;
    /** Every answer the admin's browser got, to prove a secret's value never reached it. */
    const bodies: Promise<string>[] = [];

    const console = () => shaped.consoleUrl;
    /** The README's screenshots are solo's. */
    const shot = (on: Page, name: string) => (shape === 'solo' ? screenshot(on, name) : undefined);

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
      shaped = await open(issuer);
      session = shaped.session;
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

    it('signs the administrator in (solo: with the link it printed, once)', async () => {
      await shaped.signInAdministrator(page, browser);
      await expect(page.getByLabel('Signed in as').textContent()).resolves.toBe(shaped.administrator);
      await expectAccessible('functions');
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
      // Its code, as it was uploaded.
      await page.getByText('Source (hello.js)').click();
      await expect(page.getByLabel('Source file hello.js').textContent()).resolves.toContain(
        "console.log('hello from the console, ' + params.name);",
      );
      // The graphs of the last hour count it.
      await expect(page.getByLabel('Runs in the last hour').textContent()).resolves.toBe('1');
      await page.getByRole('img', { name: 'Runs a minute over the last hour: 1 in all' }).waitFor();
      // The run shows up in the function's runs without a reload.
      await page.getByRole('table', { name: 'The runs of this project' }).getByText('OK').first().waitFor();
      await shot(page, 'function');

      await page.getByRole('link', { name: 'Runs' }).click();
      await page.getByRole('heading', { name: 'Runs' }).waitFor();
      await page.getByRole('cell', { name: 'hello' }).first().waitFor();
      await expectAccessible('runs');
      await shot(page, 'runs');
      await page.getByRole('link', { name: 'Functions' }).click();
      await page.getByRole('link', { name: 'hello' }).waitFor();
      await shot(page, 'functions');
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
      await shot(page, 'endpoints');

      const href = (await link.getAttribute('href')) as string;
      expect(shaped.endpointUrls('/hello-web')).toContain(href);
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
      await shot(page, 'secrets');
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
      await shot(page, 'images');
    }, 90_000);

    it('signs a developer in through the OpenID provider, who sees but is refused with the reason', async () => {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 800 },
        reducedMotion: 'reduce',
      });
      const dev = await context.newPage();
      await dev.goto(`${console()}/`);
      await expect(seriousAxeViolations(dev)).resolves.toEqual([]);
      await signInWithProvider(dev, console(), 'alice');
      await expect(dev.getByLabel('Signed in as').textContent()).resolves.toBe('alice@example.com');
      await chooseOrg(dev, session.org);
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
        `alice@example.com may not create function in organization ${session.org}`,
      );
      await shot(dev, 'refused');

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

    it('works with a keyboard alone: navigation, a dialog, and back', async () => {
      const keyboard = await admin.newPage();
      await keyboard.goto(`${console()}/functions`);
      await keyboard.getByRole('heading', { name: 'Functions' }).waitFor();
      /** Tabs until the element named `name` has the focus. */
      const tabTo = async (name: string) => {
        for (let i = 0; i < 60; i += 1) {
          await keyboard.keyboard.press('Tab');
          const focused = (await keyboard.evaluate(
            "(document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent || '').trim()",
          )) as string;
          if (focused === name) return;
        }
        throw new Error(`Tab never reached ${name}`);
      };
      await tabTo('Runs');
      await keyboard.keyboard.press('Enter');
      await keyboard.getByRole('heading', { name: 'Runs' }).waitFor();
      await keyboard.goto(`${console()}/secrets`);
      await tabTo('Create secret');
      await keyboard.keyboard.press('Enter');
      const dialog = keyboard.getByRole('dialog', { name: 'Create secret' });
      await dialog.waitFor();
      // The dialog holds the focus, and Escape closes it.
      await expect(keyboard.evaluate("!!document.activeElement?.closest('[role=dialog]')")).resolves.toBe(
        true,
      );
      await keyboard.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await keyboard.close();
    }, 60_000);

    it('refuses calls without the session, or without its CSRF token', async () => {
      const cookies = await admin.cookies();
      const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      const noCookie = await fetch(`${console()}/api/v1/function`, { headers: { 'x-csrf-token': 'x' } });
      expect(noCookie.status).toBe(401);
      // A page of another site can make the browser send the cookie, but cannot read the CSRF token.
      const noToken = await fetch(`${console()}/api/v1/function`, { method: 'DELETE', headers: { cookie } });
      expect(noToken.status).toBe(403);
      await expect(noToken.json()).resolves.toMatchObject({
        message: expect.stringContaining('X-CSRF-Token'),
      });
      expect(cookies.find((c) => c.name === 'dispatch_console')).toMatchObject({
        httpOnly: true,
        sameSite: 'Lax',
      });
      // The function is still there.
      await expect(session.dispatch(['get', 'function', 'hello'])).resolves.toMatchObject({ code: 0 });
    });
  });
