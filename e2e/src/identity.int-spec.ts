import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FormBrowser } from './form-browser.js';
import { freePort, ROOT, start, waitForHttp, type Started } from './processes.js';
import { startSoloSession, type SoloSession } from './solo-session.js';

/**
 * Identity end to end: solo configured with a real OpenID provider (oidc-provider, started by
 * tools/oidc.js), users logging in through the CLI (a browser login driven over HTTP, and the device
 * flow), their groups and policies deciding what they may do, refresh and logout, and the original
 * Dispatch CLI's browser sign-in refused.
 */
describe('identity with an OpenID provider', () => {
  let idp: Started;
  let issuer: string;
  let session: SoloSession;
  /** The users' own CLI config: a context for the server, with no credential until they log in. */
  let userConfig: string;

  beforeAll(async () => {
    const idpPort = await freePort();
    issuer = `http://127.0.0.1:${idpPort}`;
    idp = start(process.execPath, [join(ROOT, 'tools/oidc.js'), 'serve', '--port', String(idpPort)]);
    await waitForHttp(`${issuer}/.well-known/openid-configuration`, idp);
    session = await startSoloSession('identity', [], {
      DISPATCH_OIDC_ISSUER: issuer,
      DISPATCH_OIDC_CLIENT_ID: 'dispatch',
      DISPATCH_OIDC_CLIENT_SECRET: 'dispatch-secret',
    });
    userConfig = join(session.work, 'user-config.json');
    writeFileSync(
      userConfig,
      JSON.stringify({
        current: 'local',
        contexts: {
          local: { host: '127.0.0.1', port: session.port, organization: 'default', project: 'default' },
        },
      }),
    );
    // The administrator (solo's local context) lets developers read, and bob manage functions.
    for (const args of [
      [
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
      ],
      [
        'iam',
        'create',
        'policy',
        'bob-functions',
        '--subject',
        'bob@example.com',
        '--resource',
        'function,secret',
        '--action',
        '*',
      ],
    ]) {
      const result = await session.dispatch(args);
      expect(result).toMatchObject({ code: 0 });
    }
  }, 120_000);

  afterAll(async () => {
    await session?.stop();
    await idp?.stop();
  });

  /** The CLI as a user runs it, with their own config; `onStderr` sees what it prints as it goes. */
  function user(args: string[], onStderr?: (text: string) => void) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'apps/cli/bin/dispatch.js'), ...args], {
        cwd: session.work,
        env: { ...process.env, DISPATCH_CONFIG: userConfig },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        onStderr?.(stderr);
      });
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Runs `dispatch login ...`, and as the user in a browser, signs in where it says to. */
  async function login(args: string[], signIn: (printed: string, browser: FormBrowser) => Promise<void>) {
    const browser = new FormBrowser();
    let driving: Promise<void> | undefined;
    const result = await user(['login', ...args], (printed) => {
      if (!driving && /(address in a browser:|enter the code)/.test(printed) && printed.includes('\n'))
        driving = signIn(printed, browser);
    });
    await driving;
    return { result, browser };
  }

  it('logs a user in through the browser flow, and their group decides what they may do', async () => {
    const { result, browser } = await login(['--no-browser'], async (printed, browser) => {
      const url = /https?:\/\/\S+\/auth\?\S+/.exec(printed)?.[0] as string;
      await browser.open(url);
      expect(browser.page.html).toContain('Sign in to Dispatch');
      await browser.submit({ login: 'alice', password: 'wrong' });
      expect(browser.page.html).toContain('Wrong user name or password');
      await browser.submit({ login: 'alice', password: 'alice-password' });
    });
    expect(result).toMatchObject({
      code: 0,
      stdout: 'Logged in as alice@example.com (groups: developers)\n',
    });
    expect(browser.page.html).toContain('Logged in to Dispatch');
    const config = JSON.parse(readFileSync(userConfig, 'utf8')) as {
      contexts: Record<string, { session?: { subject: string; refreshToken?: string } }>;
    };
    expect(config.contexts['local']?.session).toMatchObject({
      subject: 'alice@example.com',
      refreshToken: expect.any(String),
    });

    expect(await user(['get', 'functions'])).toMatchObject({ code: 0 });
    const refused = await user(['create', 'secret', 'x', session.write('x.json', '{"k":"v"}')]);
    expect(refused).toMatchObject({
      code: 5,
      stderr: 'error: alice@example.com may not create secret in organization default: no policy allows it\n',
    });
    // Nothing crosses orgs without a global policy.
    expect((await user(['--organization', 'other', 'get', 'functions'])).code).toBe(5);
  }, 60_000);

  it('refreshes an expiring login through the refresh token, and saves the new one', async () => {
    const read = () =>
      JSON.parse(readFileSync(userConfig, 'utf8')) as {
        contexts: Record<string, { session: { idToken: string; expiresAt: number } }>;
      };
    const before = read();
    const expiring = before.contexts['local'] as { session: { idToken: string; expiresAt: number } };
    expiring.session.expiresAt = Math.floor(Date.now() / 1000);
    writeFileSync(userConfig, JSON.stringify(before));
    expect(await user(['get', 'functions'])).toMatchObject({ code: 0 });
    const after = read().contexts['local']?.session;
    expect(after?.idToken).not.toBe(expiring.session.idToken);
    expect(after?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 600);
  }, 30_000);

  it('logs a user in with the device flow', async () => {
    const { result } = await login(['--device'], async (printed, browser) => {
      const [, uri, code] = /visit (\S+) and enter the code (\S+)/.exec(printed) as unknown as [
        string,
        string,
        string,
      ];
      await browser.open(uri);
      await browser.submit({ user_code: code });
      expect(browser.page.html).toContain(code);
      await browser.submit({ confirm: 'yes' }, 'confirm');
      await browser.submit({ login: 'bob', password: 'bob-password' });
      expect(browser.page.html).toContain('Sign-in Success');
    });
    expect(result).toMatchObject({ code: 0, stdout: 'Logged in as bob@example.com (groups: operators)\n' });
    // bob may manage functions and secrets, as his own policy says.
    expect(await user(['create', 'secret', 'bobs', session.write('bobs.json', '{"k":"v"}')])).toMatchObject({
      code: 0,
    });
  }, 60_000);

  it('refuses a user whose email the provider has not verified, or whose name passes for a service account', async () => {
    const signInAs = (login: string, password: string) => async (printed: string, browser: FormBrowser) => {
      const url = /https?:\/\/\S+\/auth\?\S+/.exec(printed)?.[0] as string;
      await browser.open(url);
      await browser.submit({ login, password });
    };
    const carol = await login(['--no-browser'], signInAs('carol', 'carol-password'));
    expect(carol.result).toMatchObject({
      code: 5,
      stderr: expect.stringContaining('has not verified the email carol@example.com'),
    });
    // mallory's provider says her email is `default/admin`: the name of solo's administrator account.
    const mallory = await login(['--no-browser'], signInAs('mallory', 'mallory-password'));
    expect(mallory.result).toMatchObject({
      code: 5,
      stderr: expect.stringContaining('could pass for another subject'),
    });
  }, 60_000);

  it("answers the original Dispatch CLI's browser sign-in with how to sign that CLI in", async () => {
    // The original CLI's `dispatch login` opens this in a browser, to end at /v1/iam/redirect handing
    // the user's credential to the listener the link names. Nothing ties that listener to the CLI, so
    // a link could name a tenant's endpoint: the browser is told how to sign that CLI in instead.
    const rd = `/v1/iam/redirect?${new URLSearchParams({ redirect: `${session.gateway.http}/steal` })}`;
    const browser = new FormBrowser();
    await browser.open(`${session.api}/v1/iam/oauth2/start?${new URLSearchParams({ rd })}`);
    expect(browser.page.status).toBe(404);
    expect(browser.page.html).toContain("the original Dispatch CLI's browser sign-in is not served");
    expect(browser.page.html).toContain('--service-account');
    expect(browser.page.url.startsWith(session.api)).toBe(true);
    const redirect = await fetch(`${session.api}${rd}`, { redirect: 'manual' });
    expect(redirect.status).toBe(404);
  }, 30_000);

  it('logs out, after which the API refuses the CLI', async () => {
    expect(await user(['logout'])).toMatchObject({ code: 0, stdout: 'Logged out\n' });
    const after = await user(['get', 'functions']);
    expect(after).toMatchObject({ code: 5, stderr: expect.stringContaining('needs a credential') });
  }, 30_000);

  it('logs in as a service account with its key, and refuses a key that is not its own', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const own = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    session.write('ci.pub', own.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const ownKey = session.write(
      'ci.key',
      own.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    const otherKey = session.write(
      'other.key',
      other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    expect(
      await session.dispatch(['iam', 'create', 'serviceaccount', 'ci', '--public-key', 'ci.pub']),
    ).toMatchObject({
      code: 0,
    });
    expect(
      await session.dispatch([
        'iam',
        'create',
        'policy',
        'ci',
        '--subject',
        'default/ci',
        '--resource',
        'function',
        '--action',
        'get',
      ]),
    ).toMatchObject({ code: 0 });
    const wrong = await user(['login', '--service-account', 'ci', '--jwt-private-key', otherKey]);
    expect(wrong).toMatchObject({
      code: 5,
      stderr: expect.stringContaining("does not match service account ci's public key"),
    });
    const right = await user(['login', '--service-account', 'ci', '--jwt-private-key', ownKey]);
    expect(right).toMatchObject({ code: 0, stdout: 'Logged in as service account default/ci\n' });
    expect(await user(['get', 'functions'])).toMatchObject({ code: 0 });
    expect((await user(['get', 'secrets'])).code).toBe(5);
  }, 30_000);
});
