import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { startTestApp, type TestApp } from '@dispatch/platform';
import { ConsoleModule } from './console.module.js';
import { SignInLinks } from './sign-in-links.js';

/** What the stand-in API was last asked, and what it answers. */
interface Seen {
  method?: string;
  url?: string;
  headers?: IncomingHttpHeaders;
  body?: string;
}

describe.each(['memory', 'store'] as const)('the console server, sessions in %s', (sessions) => {
  let app: TestApp;
  let api: Server;
  const seen: Seen = {};

  beforeAll(async () => {
    // The API the console calls on the user's behalf: it records the call and answers as /v1/secret would.
    api = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        Object.assign(seen, { method: req.method, url: req.url, headers: req.headers, body });
        res.setHeader('content-type', 'application/json');
        if (req.url?.startsWith('/v1/iam/login')) {
          res.statusCode = 404;
          res.end(JSON.stringify({ code: 404, errorCode: 'NOT_FOUND', message: 'no OpenID provider' }));
          return;
        }
        res.end(
          JSON.stringify(
            req.url?.startsWith('/v1/secret')
              ? [{ name: 'db', secrets: { password: 'p4ss' } }]
              : { ok: true },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    app = await startTestApp((dataDir) => {
      const assets = join(dataDir, 'ui');
      mkdirSync(join(assets, 'assets'), { recursive: true });
      writeFileSync(join(assets, 'index.html'), '<!doctype html><title>console</title>');
      writeFileSync(join(assets, 'assets', 'main-ABC.js'), 'console.log("hi")');
      writeFileSync(join(assets, 'assets', 'main-ABC.js.br'), brotliCompressSync('console.log("hi")'));
      const keyFile = join(dataDir, 'admin.key');
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      return [
        ConsoleModule.forRoot({
          assetsDir: assets,
          apiUrl,
          localAdministrator: { serviceAccount: 'default/admin', keyFile },
          secureCookies: false,
          sessions,
        }),
      ];
    });
  });

  afterAll(async () => {
    await app?.close();
    api?.close();
  });

  /** Signs in with a fresh one-time link: the session cookie and the CSRF token. */
  async function signIn(): Promise<{ cookie: string; csrf: string }> {
    const token = app.app.get(SignInLinks).mint();
    const res = await fetch(`${app.url}/ui/login/link?token=${token}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const session = await fetch(`${app.url}/ui/session`, { headers: { cookie } });
    const { csrfToken } = (await session.json()) as { csrfToken: string };
    return { cookie, csrf: csrfToken };
  }

  it('serves the page for any path under /ui, its assets compressed as built, with a strict policy', async () => {
    for (const path of ['/ui', '/ui/', '/ui/functions/hello']) {
      const res = await fetch(`${app.url}${path}`);
      expect([path, res.status, await res.text()]).toEqual([
        path,
        200,
        '<!doctype html><title>console</title>',
      ]);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
    const asset = await fetch(`${app.url}/ui/assets/main-ABC.js`, { headers: { 'accept-encoding': 'br' } });
    expect(asset.headers.get('content-encoding')).toBe('br');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    await expect(asset.text()).resolves.toBe('console.log("hi")');
    const again = await fetch(`${app.url}/ui/assets/main-ABC.js`, {
      headers: { 'if-none-match': asset.headers.get('etag') as string },
    });
    expect(again.status).toBe(304);
    const missing = await fetch(`${app.url}/ui/assets/nothing.js`);
    expect(missing.status).toBe(404);
  });

  it('says how to sign in when signed out, and spends a link on its first use', async () => {
    const res = await fetch(`${app.url}/ui/session`);
    expect(res.status).toBe(401);
    await expect(res.json()).resolves.toMatchObject({ signIn: { oidc: false, link: true } });

    const token = app.app.get(SignInLinks).mint();
    const first = await fetch(`${app.url}/ui/login/link?token=${token}`, { redirect: 'manual' });
    expect(first.headers.get('set-cookie')).toMatch(
      /^dispatch_console=[\w-]{43}; Max-Age=43200; Path=\/ui; HttpOnly; SameSite=Lax$/,
    );
    const second = await fetch(`${app.url}/ui/login/link?token=${token}`, { redirect: 'manual' });
    expect([second.status, second.headers.get('location'), second.headers.get('set-cookie')]).toEqual([
      303,
      '/ui/?signIn=link',
      null,
    ]);
    const forged = await fetch(`${app.url}/ui/login/link?token=made-up`, { redirect: 'manual' });
    expect(forged.headers.get('set-cookie')).toBeNull();
  });

  it('forwards a call with the session credential and its CSRF token, and nothing of the browser', async () => {
    const { cookie, csrf } = await signIn();
    const res = await fetch(`${app.url}/ui/api/v1/function?tags=a%3Db`, {
      method: 'POST',
      headers: {
        cookie,
        'x-csrf-token': csrf,
        'content-type': 'application/json',
        'x-dispatch-org': 'acme',
        authorization: 'Bearer from-the-page',
      },
      body: '{"name":"hello"}',
    });
    expect(res.status).toBe(200);
    expect(seen).toMatchObject({ method: 'POST', url: '/v1/function?tags=a%3Db', body: '{"name":"hello"}' });
    expect(seen.headers?.['x-dispatch-org']).toBe('acme');
    expect(seen.headers?.cookie).toBeUndefined();
    // The administrator's own token, signed with its key, never the page's.
    const bearer = (seen.headers?.authorization ?? '').replace(/^Bearer /, '');
    expect(decodeJwt(bearer)).toMatchObject({ iss: 'default/admin' });
  });

  it('refuses a call without a session (401) or without its CSRF token (403), forwarding nothing', async () => {
    const { cookie } = await signIn();
    seen.url = undefined;
    const anonymous = await fetch(`${app.url}/ui/api/v1/function`, { headers: { 'x-csrf-token': 'x' } });
    expect(anonymous.status).toBe(401);
    const forged = await fetch(`${app.url}/ui/api/v1/function`, {
      method: 'DELETE',
      headers: { cookie, 'x-csrf-token': 'guess' },
    });
    expect(forged.status).toBe(403);
    await expect(forged.json()).resolves.toMatchObject({ message: expect.stringContaining('X-CSRF-Token') });
    const bare = await fetch(`${app.url}/ui/api/v1/function`, { method: 'DELETE', headers: { cookie } });
    expect(bare.status).toBe(403);
    expect(seen.url).toBeUndefined();
    const outside = await fetch(`${app.url}/ui/api/metrics`, { headers: { cookie, 'x-csrf-token': 'x' } });
    expect(outside.status).toBe(403);
  });

  it('hands secrets over as their keys, never their values', async () => {
    const { cookie, csrf } = await signIn();
    const res = await fetch(`${app.url}/ui/api/v1/secret`, { headers: { cookie, 'x-csrf-token': csrf } });
    const text = await res.text();
    expect(JSON.parse(text)).toEqual([{ name: 'db', keys: ['password'] }]);
    expect(text).not.toContain('p4ss');
    // However the path is spelled.
    for (const path of ['/v1//secret', '/v1/SECRET', '/v1/%73ecret', '/v1/secret/db?x=1']) {
      const other = await fetch(`${app.url}/ui/api${path}`, { headers: { cookie, 'x-csrf-token': csrf } });
      await expect(other.text()).resolves.not.toContain('p4ss');
    }
  });

  it('checks the path it will call, not the one it was sent: dot segments cannot reach secrets unseen', async () => {
    const { cookie, csrf } = await signIn();
    // Sent as written (node:http, unlike fetch, leaves the path alone), as a hostile page's script could.
    const raw = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const req = httpRequest(`${app.url}/`, { path, headers: { cookie, 'x-csrf-token': csrf } }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
    for (const path of [
      '/ui/api/v1/function/../secret',
      '/ui/api/v1/function/%2e%2e/secret',
      '/ui/api/v1/function/..%2fsecret',
      '/ui/api/v1\\..\\secret',
    ])
      expect([path, await raw(path)]).not.toEqual([path, expect.stringContaining('p4ss')]);
    // Nor anything outside /v1/.
    seen.url = undefined;
    await raw('/ui/api/v1/../metrics');
    expect(seen.url).toBeUndefined();
  });

  it('ends a session at sign-out: the same cookie is refused after', async () => {
    const { cookie, csrf } = await signIn();
    const kept = () =>
      app.app
        .get<EntityStore>(ENTITY_STORE)
        .list({ org: 'dispatch-system', project: 'console', kind: 'console-session' });
    // In the store, a session is an entity named by the cookie's hash, never by the cookie.
    if (sessions === 'store') {
      const names = (await kept()).map((e) => e.name);
      expect(names).toContain(
        createHash('sha256')
          .update(cookie.split('=')[1] as string)
          .digest('hex'),
      );
      expect(JSON.stringify(await kept())).not.toContain(cookie.split('=')[1]);
    }
    const out = await fetch(`${app.url}/ui/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^dispatch_console=; Max-Age=0/);
    const after = await fetch(`${app.url}/ui/api/v1/function`, { headers: { cookie, 'x-csrf-token': csrf } });
    expect(after.status).toBe(401);
    if (sessions === 'store') {
      const hash = createHash('sha256')
        .update(cookie.split('=')[1] as string)
        .digest('hex');
      expect((await kept()).map((e) => e.name)).not.toContain(hash);
    }
  });
});
