import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { SignJWT } from 'jose';
import { AccessModule } from '@dispatch/auth';
import { Action, Resource, startTestApp, type TestApp } from '@dispatch/platform';
import { IdentityModule } from './identity.module.js';

/** A stand-in resource with a get, a create and an exec route, as every domain's controllers have. */
@Controller('v1/widget')
@Resource('widget')
class WidgetController {
  @Get()
  list() {
    return [];
  }

  @Post()
  @HttpCode(201)
  create() {
    return {};
  }

  @Post('run')
  @Action('exec')
  run() {
    return { ran: true };
  }
}

@Module({ controllers: [WidgetController] })
class WidgetModule {}

const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const keys = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const bootstrapKey = keys();
const adminKey = keys();
const readerKey = keys();
const opsKey = keys();
const bossKey = keys();
const stranger = keys();

const now = () => Math.floor(Date.now() / 1000);
function sign(iss: string, key: KeyObject, times: { iat?: number; exp?: number } = {}) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(iss)
    .setIssuedAt(times.iat ?? now())
    .setExpirationTime(times.exp ?? now() + 300)
    .sign(key);
}
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('identity and access', () => {
  let app: TestApp;
  /** One call as a client makes it, with a bearer token (or none). */
  const call = async (method: string, path: string, token?: string, body?: unknown, org = 'acme') => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        'x-dispatch-org': org,
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
  };

  beforeAll(async () => {
    app = await startTestApp(() => [
      AccessModule.forRoot({ service: 'test' }),
      IdentityModule.forRoot({ bootstrapPublicKey: pem(bootstrapKey.publicKey) }),
      WidgetModule,
    ]);
  });
  afterAll(() => app.close());

  it('lets the bootstrap identity create the first org, account and admin policy, then ends bootstrap mode', async () => {
    const boot = await sign('bootstrap', bootstrapKey.privateKey);
    expect((await call('GET', '/v1/widget', boot)).status).toBe(403);
    expect((await call('POST', '/v1/iam/organization', boot, { name: 'acme' })).status).toBe(201);
    expect(
      (
        await call('POST', '/v1/iam/serviceaccount', boot, {
          name: 'admin',
          publicKey: pem(adminKey.publicKey),
        })
      ).status,
    ).toBe(201);
    // The installation's administrator: a global policy, which only the bootstrap identity may make now.
    const policy = await call('POST', '/v1/iam/policy', boot, {
      name: 'admins',
      global: true,
      rules: [{ subjects: ['acme/admin'], resources: ['*'], actions: ['*'] }],
    });
    expect(policy).toMatchObject({ status: 201, body: { name: 'admins', global: true, kind: 'policy' } });
    expect(await call('GET', '/v1/iam/policy', boot)).toMatchObject({
      status: 401,
      body: { errorCode: 'UNAUTHENTICATED', message: expect.stringContaining('bootstrap mode is off') },
    });
    const admin = await sign('acme/admin', adminKey.privateKey);
    expect((await call('GET', '/v1/iam/policy', admin)).status).toBe(200);
  });

  it('refuses a service account token signed with a wrong key, expired, for another org, tampered or unsigned', async () => {
    const cases: [string, string, RegExp][] = [
      ['wrong key', await sign('acme/admin', stranger.privateKey), /signature does not match/],
      [
        'expired',
        await sign('acme/admin', adminKey.privateKey, { iat: now() - 900, exp: now() - 600 }),
        /has expired/,
      ],
      ['unknown account', await sign('acme/nobody', adminKey.privateKey), /no service account nobody/],
      [
        'alg none',
        `${b64({ alg: 'none' })}.${b64({ iss: 'acme/admin', iat: now(), exp: now() + 60 })}.`,
        /RS256/,
      ],
    ];
    const [header, , signature] = (await sign('acme/admin', adminKey.privateKey)).split('.');
    const forged = b64({ iss: 'acme/admin', iat: now(), exp: now() + 3000, admin: true });
    cases.push(['tampered', `${header}.${forged}.${signature}`, /signature does not match/]);
    for (const [what, token, message] of cases) {
      const res = await call('GET', '/v1/iam/policy', token);
      expect({ what, status: res.status, message: res.body['message'] }).toEqual({
        what,
        status: 401,
        message: expect.stringMatching(message),
      });
    }
    expect((await call('GET', '/v1/widget')).status).toBe(401);
    expect((await call('GET', '/v1/widget', 'Basic abc')).status).toBe(401);
  });

  it('lets a get-only account list, but not create or exec, naming what it may not do', async () => {
    const admin = await sign('acme/admin', adminKey.privateKey);
    await call('POST', '/v1/iam/serviceaccount', admin, {
      name: 'reader',
      publicKey: pem(readerKey.publicKey),
    });
    await call('POST', '/v1/iam/policy', admin, {
      name: 'readers',
      rules: [{ subjects: ['acme/reader'], resources: ['*'], actions: ['get'] }],
    });
    const reader = await sign('acme/reader', readerKey.privateKey);
    expect((await call('GET', '/v1/widget', reader)).status).toBe(200);
    expect((await call('GET', '/v1/iam/policy', reader)).status).toBe(200);
    expect(await call('POST', '/v1/widget', reader, {})).toMatchObject({
      status: 403,
      body: {
        errorCode: 'FORBIDDEN',
        message: 'acme/reader may not create widget in organization acme: no policy allows it',
      },
    });
    expect((await call('POST', '/v1/widget/run', reader, {})).status).toBe(403);
    expect((await call('POST', '/v1/iam/policy', reader, { name: 'x', rules: [] })).status).toBe(403);
  });

  it('applies global policies across orgs, and nothing crosses without one', async () => {
    const admin = await sign('acme/admin', adminKey.privateKey);
    await call('POST', '/v1/iam/serviceaccount', admin, { name: 'ops', publicKey: pem(opsKey.publicKey) });
    const ops = await sign('acme/ops', opsKey.privateKey);
    expect((await call('POST', '/v1/widget/run', ops, {}, 'beta')).status).toBe(401);
    await call('POST', '/v1/iam/policy', admin, {
      name: 'ops-everywhere',
      global: true,
      rules: [{ subjects: ['acme/ops'], resources: ['widget'], actions: ['exec'] }],
    });
    expect((await call('POST', '/v1/widget/run', ops, {}, 'beta')).status).toBe(201);
    expect((await call('POST', '/v1/widget', ops, {}, 'beta')).status).toBe(403);
    // The org-only policy of acme's reader does not reach beta: there its token is no credential at all.
    const reader = await sign('acme/reader', readerKey.privateKey);
    expect(await call('GET', '/v1/widget', reader, undefined, 'beta')).toMatchObject({
      status: 401,
      body: { message: 'the token is for organization acme, and this request is for beta' },
    });
  });

  it("keeps an organisation's own administrator inside it: no global policy, no other organisation", async () => {
    const admin = await sign('acme/admin', adminKey.privateKey);
    // Not one named after a service, whose events would land on that service's own topics.
    const reserved = await call('POST', '/v1/iam/organization', admin, { name: 'functions' });
    expect(reserved.status).toBe(400);
    expect(reserved.body).toMatchObject({
      message: expect.stringContaining('organization functions is reserved'),
    });
    expect((await call('POST', '/v1/iam/organization', admin, { name: 'beta' })).status).toBe(201);
    await call('POST', '/v1/iam/serviceaccount', admin, { name: 'boss', publicKey: pem(bossKey.publicKey) });
    await call('POST', '/v1/iam/policy', admin, {
      name: 'acme-admin',
      rules: [{ subjects: ['acme/boss'], resources: ['*'], actions: ['*'] }],
    });
    const boss = await sign('acme/boss', bossKey.privateKey);
    const rules = [{ subjects: ['acme/boss'], resources: ['*'], actions: ['*'] }];
    expect(
      await call('POST', '/v1/iam/policy', boss, { name: 'everywhere', rules, global: true }),
    ).toMatchObject({
      status: 403,
      body: {
        message:
          'acme/boss may not create a global policy: it applies in every organization, so only an installation administrator (allowed by a global policy) may',
      },
    });
    expect((await call('POST', '/v1/iam/policy', boss, { name: 'mine', rules })).status).toBe(201);
    expect((await call('PUT', '/v1/iam/policy/mine', boss, { rules, global: true })).status).toBe(403);
    expect((await call('DELETE', '/v1/iam/policy/ops-everywhere', boss)).status).toBe(403);
    expect((await call('GET', '/v1/iam/policy/ops-everywhere', admin)).status).toBe(200);
    // Organisations: none made, changed or deleted; the one in the path decides a read.
    expect((await call('POST', '/v1/iam/organization', boss, { name: 'evil' })).status).toBe(403);
    expect((await call('DELETE', '/v1/iam/organization/beta', boss)).status).toBe(403);
    expect((await call('PUT', '/v1/iam/organization/acme', boss, { hosts: ['x.test'] })).status).toBe(403);
    expect((await call('GET', '/v1/iam/organization/beta', boss)).status).toBe(403);
    expect((await call('GET', '/v1/iam/organization/acme', boss)).status).toBe(200);
    const listed = await call('GET', '/v1/iam/organization', boss);
    expect((listed.body as unknown as { name: string }[]).map((o) => o.name)).toEqual(['acme']);
    expect(((await call('GET', '/v1/iam/organization', admin)).body as unknown as unknown[]).length).toBe(2);
    // A globally named account is an installation-wide credential: its key is not the org's to change.
    const rekey = await call('PUT', '/v1/iam/serviceaccount/ops', boss, {
      publicKey: pem(bossKey.publicKey),
    });
    expect(rekey).toMatchObject({
      status: 403,
      body: { message: expect.stringContaining('a global policy names it') },
    });
    expect((await call('DELETE', '/v1/iam/serviceaccount/ops', boss)).status).toBe(403);
    expect((await call('DELETE', '/v1/iam/organization/beta', admin)).status).toBe(200);
  });

  it('grants hosts to one organisation at a time', async () => {
    const admin = await sign('acme/admin', adminKey.privateKey);
    const granted = await call('PUT', '/v1/iam/organization/acme', admin, {
      hosts: ['*.Acme.test', 'acme.test'],
    });
    expect(granted).toMatchObject({ status: 200, body: { hosts: ['*.acme.test', 'acme.test'] } });
    expect(
      await call('POST', '/v1/iam/organization', admin, { name: 'gamma', hosts: ['api.acme.test'] }),
    ).toMatchObject({
      status: 409,
      body: { message: 'host api.acme.test is already granted to organization acme (as *.acme.test)' },
    });
    expect(
      await call('POST', '/v1/iam/organization', admin, { name: 'gamma', hosts: ['a.test:80'] }),
    ).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('without port') },
    });
    expect((await call('GET', '/v1/iam/organization/gamma', admin)).status).toBe(404);
  });

  it('answers /v1/iam/auth for an ingress about the call it names', async () => {
    const reader = await sign('acme/reader', readerKey.privateKey);
    const auth = async (method: string, uri: string, token?: string) => {
      const res = await fetch(`${app.url}/v1/iam/auth`, {
        headers: {
          'x-dispatch-org': 'acme',
          'x-original-uri': uri,
          'x-original-method': method,
          ...(token && { authorization: `Bearer ${token}` }),
        },
      });
      return { status: res.status, org: res.headers.get('x-dispatch-org') };
    };
    expect(await auth('GET', '/v1/function/hello', reader)).toEqual({ status: 202, org: 'acme' });
    expect((await auth('POST', '/v1/runs', reader)).status).toBe(403);
    expect(await auth('GET', '/v1/function')).toMatchObject({ status: 401 });
    expect((await auth('POST', '/v1/event/hooks/acme/default/github')).status).toBe(202);
  });

  it('refuses bad identity input, naming the problem, and keeps what is stored', async () => {
    const admin = await sign('acme/admin', adminKey.privateKey);
    const bad: [string, string, unknown, RegExp][] = [
      [
        '/v1/iam/policy',
        'POST',
        { name: 'p', rules: [{ subjects: ['a'], resources: ['*'], actions: ['fly'] }] },
        /actions must be among get, create/,
      ],
      ['/v1/iam/policy', 'POST', { name: 'p', rules: [] }, /at least one rule/],
      ['/v1/iam/serviceaccount', 'POST', { name: 's', publicKey: 'nope' }, /not an RSA public key/],
      [
        '/v1/iam/serviceaccount',
        'POST',
        { name: 's', publicKey: adminKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
        /not an RSA public key/,
      ],
      ['/v1/iam/organization', 'POST', { name: 'dispatch-system' }, /reserved/],
      ['/v1/iam/organization', 'POST', { name: 'acme' }, /already exists/],
    ];
    for (const [path, method, body, message] of bad) {
      const res = await call(method, path, admin, body);
      expect({ path, status: res.status >= 400 && res.status < 500, message: res.body['message'] }).toEqual({
        path,
        status: true,
        message: expect.stringMatching(message),
      });
    }
    const noOrg = await call(
      'POST',
      '/v1/iam/serviceaccount',
      admin,
      { name: 's', publicKey: pem(opsKey.publicKey) },
      'nowhere',
    );
    expect(noOrg).toMatchObject({
      status: 404,
      body: { message: expect.stringContaining('does not exist') },
    });
    expect((await call('DELETE', '/v1/iam/organization/acme', admin)).status).toBe(409);
    expect((await call('GET', '/v1/iam/policy/admins', admin)).status).toBe(200);
  });
});
