import { request } from 'node:http';
import { Global, Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  FUNCTION_INVOKER,
  IAM_PROJECT,
  ORGANIZATION_KIND,
  type Endpoint,
  type FunctionInvoker,
  type OrganizationSpec,
  type Run,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { startTestApp, type TestApp } from '@dispatch/platform';
import { ApiGatewayModule } from './api-gateway.module.js';
import { GatewayServer, targetOf } from './gateway/gateway-server.js';

/** Stands in for the functions domain: answers with what the gateway asked, so routing is what is tested. */
const invoker: FunctionInvoker = {
  run: async (scope, req) =>
    ({
      name: 'run-1',
      functionName: req.functionName,
      blocking: req.blocking ?? true,
      output: { org: scope.org, fn: req.functionName, input: req.input, http: req.httpContext },
      error: null,
    }) as Run,
};

@Global()
@Module({ providers: [{ provide: FUNCTION_INVOKER, useValue: invoker }], exports: [FUNCTION_INVOKER] })
class FakeFunctionsModule {}

let app: TestApp;
let gateway: string;
const call = <T>(method: string, path: string, body?: unknown, org = 'default') =>
  app.call<T>(method, path, body, org);

function get(path: string, host: string): Promise<{ status: number; body: { org?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway}${path}`, { headers: { host } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(path: string, host: string, status: number) {
  for (let i = 0; i < 100; i += 1) {
    const res = await get(path, host);
    if (res.status === status) return res;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${host}${path} never answered ${status}`);
}

beforeAll(async () => {
  app = await startTestApp((dataDir) => [
    FakeFunctionsModule,
    ApiGatewayModule.forRoot({ dataDir, host: '127.0.0.1', port: 0 }),
  ]);
  gateway = app.app.get(GatewayServer).urls.http as string;
});
afterAll(async () => {
  await app.close();
});

describe('the endpoint API', () => {
  it('creates an endpoint with defaults and lists by function', async () => {
    const res = await call<Endpoint>('POST', '/v1/endpoint', {
      name: 'e1',
      function: 'f1',
      uris: ['/a'],
      methods: ['get'],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      methods: ['GET'],
      hosts: [],
      protocols: ['http', 'https'],
      cors: false,
      enabled: true,
      status: 'READY',
    });
    await call('POST', '/v1/endpoint', { name: 'e2', function: 'f2', uris: ['/b'], methods: ['POST'] });
    expect((await call<Endpoint[]>('GET', '/v1/endpoint?function=f2')).body.map((e) => e.name)).toEqual([
      'e2',
    ]);
  });

  it('refuses bad input naming the problem', async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: 'x', uris: ['/x'], methods: ['GET'] }, /function is required/],
      [{ name: 'x', function: 'f', uris: ['no-slash'], methods: ['GET'] }, /each path must start with \//],
      [{ name: 'x', function: 'f', uris: ['/x'], methods: ['FETCH'] }, /methods must be among/],
      [{ name: 'x', function: 'f', uris: [], methods: ['GET'] }, /at least one path/],
      [
        { name: 'x', function: 'f', uris: ['/x'], methods: ['GET'], protocols: ['ftp'] },
        /protocols may be http and https/,
      ],
      [{ name: 'x', function: 'f', uris: ['/x'], methods: ['GET'], hosts: ['a.com:80'] }, /without port/],
    ];
    for (const [body, message] of cases) {
      const res = await call<{ message: string }>('POST', '/v1/endpoint', body);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(message);
    }
  });
});

describe("v0.1's API manager", () => {
  it('manages the same endpoints under /v1/api, as the v0.1 CLI sends them, and serves them', async () => {
    // As v0.1's Go client sends an API: its own fields too, every unset one null.
    const created = await call<Endpoint>('POST', '/v1/api', {
      name: 'v01-api',
      function: 'f3',
      uris: ['/v01'],
      methods: ['GET'],
      hosts: null,
      protocols: null,
      authentication: 'public',
      tls: null,
      cors: false,
      enabled: true,
      tags: null,
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: 'v01-api', function: 'f3', protocols: ['http', 'https'] });
    expect((await call<Endpoint[]>('GET', '/v1/endpoint')).body.map((e) => e.name)).toContain('v01-api');
    expect((await call<Endpoint>('GET', '/v1/endpoint/v01-api')).body.uris).toEqual(['/v01']);
    const served = await until('/v01', 'localhost', 200);
    expect((served.body as { fn?: string }).fn).toBe('f3');
    // What /v1/endpoint made, /v1/api changes and removes.
    const updated = await call<Endpoint>('PUT', '/v1/api/e1', {
      function: 'f1',
      uris: ['/a', '/a2'],
      methods: ['GET'],
    });
    expect(updated.body.uris).toEqual(['/a', '/a2']);
    expect((await call<Endpoint[]>('GET', '/v1/api')).body.map((e) => e.name)).toEqual(
      expect.arrayContaining(['e1', 'e2', 'v01-api']),
    );
    expect((await call('DELETE', '/v1/api/v01-api')).status).toBe(200);
    expect((await call('GET', '/v1/endpoint/v01-api')).status).toBe(404);
    const bad = await call<{ message: string }>('POST', '/v1/api', { name: 'x', function: 'f', uris: null });
    expect(bad.body.message).toBe('invalid API: uris: uris must be a list of paths');
  });
});

describe('request targets', () => {
  it('takes a plain path as it is and normalises any other as a URL parser does', () => {
    expect(targetOf('/hello')).toMatchObject({ path: '/hello' });
    expect(targetOf('/v1.2/a-b_c~d')).toMatchObject({ path: '/v1.2/a-b_c~d' });
    expect(targetOf('/admin/../hello').path).toBe('/hello');
    expect(targetOf('/a/./b').path).toBe('/a/b');
    expect(targetOf('/caf\u00e9').path).toBe('/caf%C3%A9');
    expect(targetOf('/a%2Fb').path).toBe('/a%2Fb');
    expect([...targetOf('/hello?name=Jon&x=1&x=2').query]).toEqual([
      ['name', 'Jon'],
      ['x', '1'],
      ['x', '2'],
    ]);
    expect(targetOf('/hello').query.size).toBe(0);
  });
});

/** An organisation as the identity domain keeps it, with the hosts an operator granted it. */
async function organization(name: string, hosts: string[]): Promise<void> {
  const store = app.app.get<EntityStore>(ENTITY_STORE);
  const ref = { org: name, project: IAM_PROJECT, kind: ORGANIZATION_KIND, name };
  const current = await store.get<OrganizationSpec>(ref).catch(() => undefined);
  if (current) await store.update<OrganizationSpec>({ ...current, spec: { hosts } });
  else await store.create<OrganizationSpec>({ ...ref, status: 'READY', spec: { hosts } });
}

describe('routing', () => {
  it('refuses a host the organisation was not granted, naming who grants it', async () => {
    const res = await call<{ message: string }>(
      'POST',
      '/v1/endpoint',
      { name: 'steal', function: 'f', uris: ['/'], methods: ['GET'], hosts: ['127.0.0.1'] },
      'acme',
    );
    expect(res.status).toBe(403);
    expect(res.body.message).toBe(
      'host 127.0.0.1 is not granted to organization acme: an installation administrator grants hosts (dispatch iam update organization acme --host 127.0.0.1)',
    );
  });

  it('routes by host before path, and keeps a host to the org that claimed it', async () => {
    await organization('acme', ['shop.example']);
    await call(
      'POST',
      '/v1/endpoint',
      { name: 'site', function: 'acme-site', uris: ['/'], methods: ['GET'], hosts: ['shop.example'] },
      'acme',
    );
    await call('POST', '/v1/endpoint', {
      name: 'root',
      function: 'default-root',
      uris: ['/'],
      methods: ['GET'],
    });
    const byHost = await until('/', 'shop.example', 200);
    expect(byHost.body).toMatchObject({ org: 'acme', fn: 'acme-site' });
    expect((await get('/', 'other.example')).body).toMatchObject({ org: 'default', fn: 'default-root' });
    const clash = await call<{ message: string }>('POST', '/v1/endpoint', {
      name: 'steal',
      function: 'f',
      uris: ['/'],
      methods: ['GET'],
      hosts: ['SHOP.example'],
    });
    expect(clash.status).toBe(403);
    await organization('default', ['*.example']);
    const overlap = await call<{ message: string }>('POST', '/v1/endpoint', {
      name: 'steal',
      function: 'f',
      uris: ['/'],
      methods: ['GET'],
      hosts: ['SHOP.example'],
    });
    expect(overlap.status).toBe(409);
    expect(overlap.body.message).toBe('GET / is already served by endpoint site of organization acme');
    // A grant withdrawn takes the host's routes with it, whatever endpoints still name the host.
    await organization('acme', []);
    expect((await until('/', 'shop.example', 200)).body).toMatchObject({
      org: 'default',
      fn: 'default-root',
    });
  });

  it("serves an org's /<org>/ paths before the default org's, and refuses a default path under one", async () => {
    await organization('beta', []);
    await call(
      'POST',
      '/v1/endpoint',
      { name: 'b', function: 'beta-hello', uris: ['/hello'], methods: ['GET'] },
      'beta',
    );
    const shadow = await call<{ message: string }>('POST', '/v1/endpoint', {
      name: 'shadow',
      function: 'f',
      uris: ['/beta/hello'],
      methods: ['GET'],
    });
    expect(shadow.status).toBe(409);
    expect(shadow.body.message).toBe(
      'path /beta/hello: /beta/ belongs to organization beta, whose endpoints are served there',
    );
    // Made before the org existed, a default path under its prefix yields to the org's own route.
    await call('POST', '/v1/endpoint', {
      name: 'early',
      function: 'default-early',
      uris: ['/gamma/hello'],
      methods: ['GET'],
    });
    await until('/gamma/hello', 'x', 200);
    await call(
      'POST',
      '/v1/endpoint',
      { name: 'g', function: 'gamma-hello', uris: ['/hello'], methods: ['GET'] },
      'gamma',
    );
    for (let i = 0; i < 100 && (await get('/gamma/hello', 'x')).body.org !== 'gamma'; i += 1)
      await new Promise((r) => setTimeout(r, 20));
    expect((await get('/gamma/hello', 'x')).body).toMatchObject({ org: 'gamma', fn: 'gamma-hello' });
  });

  it("keeps callers' credentials from the function unless the endpoint forwards them", async () => {
    const headers = { authorization: 'Bearer t0k', cookie: 'sid=c00k', 'x-custom': 'yes' };
    const getWith = (path: string) =>
      new Promise<{ status: number; body: { http: { headers: Record<string, string> } } }>(
        (resolve, reject) => {
          const req = request(`${gateway}${path}`, { headers }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          });
          req.on('error', reject);
          req.end();
        },
      );
    await call('POST', '/v1/endpoint', { name: 'plain', function: 'f', uris: ['/plain'], methods: ['GET'] });
    await call('POST', '/v1/endpoint', {
      name: 'forwarding',
      function: 'f',
      uris: ['/forwarding'],
      methods: ['GET'],
      forwardCredentials: true,
    });
    await until('/forwarding', 'x', 200);
    const plain = (await getWith('/plain')).body.http.headers;
    expect(plain).toMatchObject({ 'x-custom': 'yes' });
    expect(plain).not.toHaveProperty('authorization');
    expect(plain).not.toHaveProperty('cookie');
    expect((await getWith('/forwarding')).body.http.headers).toMatchObject({
      authorization: 'Bearer t0k',
      cookie: 'sid=c00k',
    });
  });

  it('hides a disabled endpoint and serves it again once enabled', async () => {
    await call('POST', '/v1/endpoint', {
      name: 'off',
      function: 'f',
      uris: ['/off'],
      methods: ['GET'],
      enabled: false,
    });
    expect((await get('/off', 'x')).status).toBe(404);
    await call('PUT', '/v1/endpoint/off', { function: 'f', uris: ['/off'], methods: ['GET'], enabled: true });
    await until('/off', 'x', 200);
  });
});

describe('behind a proxy that terminates TLS', () => {
  /** A GET of an HTTPS-only endpoint on the plain port, saying it came over `proto`. */
  const viaProxy = (base: string, proto: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${base}/secure`, { headers: { 'x-forwarded-proto': proto } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  const secure = { name: 'secure', function: 'f', uris: ['/secure'], methods: ['GET'], protocols: ['https'] };

  it('ignores X-Forwarded-Proto unless told the proxy is trusted', async () => {
    await call('POST', '/v1/endpoint', secure);
    await until('/secure', 'x', 426);
    expect(await viaProxy(gateway, 'https')).toBe(426);
  });

  it('takes HTTPS from the X-Forwarded-Proto of a trusted proxy, and plain HTTP as plain', async () => {
    const proxied = await startTestApp((dataDir) => [
      FakeFunctionsModule,
      ApiGatewayModule.forRoot({ dataDir, host: '127.0.0.1', port: 0, forwardedProto: true }),
    ]);
    try {
      const base = proxied.app.get(GatewayServer).urls.http as string;
      await proxied.call('POST', '/v1/endpoint', secure, 'default');
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i += 1) {
        status = await viaProxy(base, 'https');
        if (status !== 200) await new Promise((r) => setTimeout(r, 20));
      }
      expect(status).toBe(200);
      expect(await viaProxy(base, 'http')).toBe(426);
      expect(await viaProxy(base, 'http, https')).toBe(426);
    } finally {
      await proxied.close();
    }
  });
});
