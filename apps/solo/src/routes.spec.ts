import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { accessOfPath } from '@dispatch/identity';
import { ACCESS_RESOURCE, PUBLIC_ROUTE, startHttpServer } from '@dispatch/platform';
import { SoloModule } from './app.module.js';
import { soloConfig, type SoloConfig } from './env.js';

/**
 * The console's routes that need its own session (a cookie and its CSRF token) rather than a bearer:
 * public to the API's guard, and answering 401 themselves without a session.
 */
const CONSOLE_SESSION = ['GET /ui/session', 'POST /ui/logout', 'ALL /ui/api/*'];

/**
 * The routes anyone may call. A route added as public must be added here, deliberately; every other
 * route, whatever module it comes from, must refuse a call without a credential.
 */
const PUBLIC = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /v1/version',
  // The original's placeholder root page.
  'GET /',
  'POST /v1/event/hooks/:org/:project/:name',
  'GET /v1/iam/login',
  'POST /v1/iam/login/token',
  'POST /v1/iam/login/device',
  'POST /v1/iam/logout',
  'GET /v1/iam/oauth2/start',
  'GET /v1/iam/redirect',
  // The web console: its page, and signing in to it.
  'GET /ui',
  'GET /ui/*',
  'GET /ui/login/link',
  'GET /ui/login/oidc',
  'GET /ui/login/callback',
  ...CONSOLE_SESSION,
]);

/** What the access guard makes of a route: whether it is public, and the resource it acts on. */
interface GuardView {
  route: string;
  public: boolean;
  resource: string;
}

/** Every route of every controller Nest registered, as `METHOD /path`. */
function routesOf(app: NestFastifyApplication): string[] {
  return guardViewsOf(app).map((view) => view.route);
}

/** Every route, with what its decorators tell the access guard (as AccessGuard.routeOf reads them). */
function guardViewsOf(app: NestFastifyApplication): GuardView[] {
  const routes: GuardView[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (!metatype) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
      // Inherited routes too: a kind's controller gets its CRUD routes from CrudRoutes.
      for (const key of new MetadataScanner().getAllMethodNames(metatype.prototype)) {
        const handler = (metatype.prototype as Record<string, unknown>)[key];
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined)
          continue;
        const path = String(Reflect.getMetadata(PATH_METADATA, handler));
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const full = `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
        const segments = base.split('/').filter(Boolean);
        const of = <T>(key: string): T | undefined =>
          (Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, metatype)) as T | undefined;
        routes.push({
          route: `${method} ${full}`,
          public: of<boolean>(PUBLIC_ROUTE) ?? false,
          resource:
            of<string>(ACCESS_RESOURCE) ?? (segments[0] === 'v1' ? segments[1] : segments[0]) ?? 'api',
        });
      }
    }
  }
  return routes;
}

describe('every API route of solo', () => {
  let app: NestFastifyApplication;
  let url: string;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dispatch-routes-'));
    const config = soloConfig(['--port', '0', '--gateway-port', '0', '--gateway-tls-port', '0'], {
      DISPATCH_DATA_DIR: dataDir,
      DISPATCH_CONFIG: join(dataDir, 'config.json'),
    }) as SoloConfig;
    app = await startHttpServer({
      module: SoloModule.forRoot(config),
      host: '127.0.0.1',
      port: 0,
      handleSignals: false,
    });
    const address = app.getHttpServer().address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a call without a credential with 401, except the routes marked public', async () => {
    const routes = routesOf(app);
    // Enough to know the enumeration sees every domain: images, functions, runs, secrets, endpoints,
    // events and identity.
    expect(routes.length).toBeGreaterThan(50);
    for (const prefix of [
      '/v1/image',
      '/v1/runs',
      '/v1/secret',
      '/v1/endpoint',
      '/v1/event',
      '/v1/iam/policy',
    ])
      expect(routes.some((r) => r.split(' ')[1]?.startsWith(prefix))).toBe(true);

    const answers: string[] = [];
    for (const route of routes) {
      const [declared, path] = route.split(' ') as [string, string];
      const method = declared === 'ALL' ? 'GET' : declared;
      const res = await fetch(`${url}${path.replace(/:(\w+)/g, 'x$1').replace('*', 'v1/function')}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
      });
      const expected = PUBLIC.has(route) && !CONSOLE_SESSION.includes(route) ? 'not 401' : '401';
      const got = res.status === 401 ? '401' : 'not 401';
      answers.push(`${route}: ${got === expected ? 'ok' : `expected ${expected}, got ${res.status}`}`);
    }
    expect(answers.filter((a) => !a.endsWith(': ok'))).toEqual([]);
    // Every public route exists: a renamed one must not leave a stale entry behind.
    expect([...PUBLIC].filter((r) => !routes.includes(r))).toEqual([]);
  }, 60_000);

  it("decides every route at the ingress (identity's /v1/iam/auth, from the topology table) as the service itself does", () => {
    const disagreements: string[] = [];
    for (const view of guardViewsOf(app)) {
      const [method, path] = view.route.split(' ') as [string, string];
      const atIngress = accessOfPath(method, path.replace(/:(\w+)/g, 'x$1'));
      if (atIngress.public !== view.public || (!view.public && atIngress.resource !== view.resource))
        disagreements.push(
          `${view.route}: the service says ${view.public ? 'public' : view.resource}, the table ${atIngress.public ? 'public' : atIngress.resource}`,
        );
    }
    expect(disagreements).toEqual([]);
  });

  it('proves the credential before reading a body: a malformed one without a credential is a 401', async () => {
    const post = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: `{"not json${'x'.repeat(64 * 1024)}`,
      });
    expect((await post('/v1/function')).status).toBe(401);
    expect((await post('/v1/function', { authorization: 'Bearer nonsense' })).status).toBe(401);
    // A public route reads its body as ever, whatever Authorization its sender adds: the webhook says
    // the body is not JSON.
    for (const headers of [{}, { authorization: 'Bearer from-the-sender' }] as Record<string, string>[]) {
      const hook = await post('/v1/event/hooks/default/default/nothing', headers);
      expect(hook.status).toBe(400);
      expect(((await hook.json()) as { message: string }).message).toContain('not valid JSON');
    }
  });
});
