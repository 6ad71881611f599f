import { createHmac, createPrivateKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { Header } from 'tar';
import type { Session } from './session.js';
import { inEachShape, SETUP_TIMEOUT } from './shapes.js';

/**
 * Tenant isolation, tried as an attacker would: two organisations on one installation, an organisation
 * administrator (`acme/boss`, everything in acme) and a developer (`acme/dev`, functions and images
 * only), calling the API and the gateway directly. Each `finding N` is one finding of the issue that
 * asked for this suite; each test fails on an installation that has that hole.
 */

interface Answer {
  status: number;
  text: string;
  body: Record<string, unknown> & { message?: string };
}

interface Account {
  subject: string;
  key: KeyObject;
}

const now = () => Math.floor(Date.now() / 1000);

/** A service account's bearer token with the claims given (by default as the CLI signs it). */
async function tokenOf(account: Account, times: { iat?: number; exp?: number } = {}): Promise<string> {
  const iat = times.iat ?? now();
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(account.subject)
    .setIssuedAt(iat)
    .setExpirationTime(times.exp ?? iat + 300)
    .sign(account.key);
  return `Bearer ${token}`;
}

function newKeys() {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    key: createPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' })),
    pub: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** One raw HTTP request (node:http, so a Host header of our choosing goes out as given). */
function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Answer['body'] = {};
        try {
          body = JSON.parse(text) as Answer['body'];
        } catch {
          // an answer that is not JSON: the text says what it was
        }
        resolve({ status: res.statusCode ?? 0, text, body });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A tar entry's 512-byte header, then its data padded to a block, as an archive holds them. */
function tarEntry(path: string, data: Buffer | number): Buffer {
  const size = typeof data === 'number' ? data : data.length;
  const header = Buffer.alloc(512);
  new Header({ path, mode: 0o644, size, type: 'File', mtime: new Date(0) }).encode(header);
  const body = typeof data === 'number' ? Buffer.alloc(size) : data;
  return Buffer.concat([header, body, Buffer.alloc((512 - (size % 512)) % 512)]);
}

/** A function's source as the API takes it: base64 of a gzipped tar of these entries. */
function sourceOf(...entries: Buffer[]): string {
  return gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]), { level: 9 }).toString('base64');
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const LEAK = `module.exports = (context) => ({ secrets: context.secrets, http: context.httpContext || null });\n`;

inEachShape(
  'attacker',
  ['identity', 'images', 'functions', 'secrets', 'events', 'api-gateway'],
  (shape, open) =>
    describe(`an attacker's tenant on a shared installation (${shape})`, () => {
      let session: Session;
      let admin: string;
      /** The organisation under attack: the session's own (`default` in solo). */
      let victim: string;
      const boss: Account = { subject: 'acme/boss', key: newKeys().key };
      const dev: Account = { subject: 'acme/dev', key: newKeys().key };

      const dispatch = (args: string[]) => session.dispatch(args);
      const must = async (args: string[]) => {
        const out = await dispatch(args);
        if (out.code !== 0) throw new Error(`dispatch ${args.join(' ')}: ${out.stderr}`);
        return out;
      };
      /** An API call with a credential (an Authorization value) in an org. */
      const api = (authorization: string, method: string, path: string, org: string, body?: unknown) =>
        call(`${session.api}${path}`, {
          method,
          headers: {
            authorization,
            'x-dispatch-org': org,
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const as = async (account: Account, method: string, path: string, body?: unknown, org = 'acme') =>
        api(await tokenOf(account), method, path, org, body);
      /** A nodejs function of acme, made by its administrator and READY. */
      const acmeFunction = async (name: string, code: string, extra: Record<string, unknown> = {}) => {
        const created = await as(boss, 'POST', '/v1/function', {
          name,
          image: 'nodejs',
          source: sourceOf(tarEntry('index.js', Buffer.from(code))),
          handler: './index.js',
          ...extra,
        });
        expect(created.status).toBe(201);
        return eventually(`function ${name} READY`, async () => {
          const fn = await as(boss, 'GET', `/v1/function/${name}`);
          return fn.body['status'] === 'READY' ? fn : undefined;
        });
      };
      const statusOf = (name: string) =>
        eventually(
          `function ${name} settled`,
          async () => {
            const fn = await as(boss, 'GET', `/v1/function/${name}`);
            const status = fn.body['status'] as string;
            return status === 'READY' || status === 'ERROR' ? fn.body : undefined;
          },
          60_000,
        );

      beforeAll(async () => {
        session = await open();
        admin = await session.authorization();
        victim = session.org;
        const bossKeys = newKeys();
        const devKeys = newKeys();
        boss.key = bossKeys.key;
        dev.key = devKeys.key;
        const inAcme = ['--organization', 'acme'];
        await must(['iam', 'create', 'organization', 'acme']);
        await must(['iam', 'create', 'organization', 'bystander']);
        await must([
          ...inAcme,
          'iam',
          'create',
          'serviceaccount',
          'boss',
          '--public-key',
          session.write('boss.pub', bossKeys.pub),
        ]);
        await must([
          ...inAcme,
          'iam',
          'create',
          'serviceaccount',
          'dev',
          '--public-key',
          session.write('dev.pub', devKeys.pub),
        ]);
        await must([
          ...inAcme,
          'iam',
          'create',
          'policy',
          'acme-admin',
          '--subject',
          'acme/boss',
          '--resource',
          '*',
          '--action',
          '*',
        ]);
        await must([
          ...inAcme,
          'iam',
          'create',
          'policy',
          'acme-dev',
          '--subject',
          'acme/dev',
          '--resource',
          'function,image,baseimage',
          '--action',
          '*',
        ]);
        await must([
          ...inAcme,
          'create',
          'secret',
          'acme-db',
          session.write('acme-db.json', '{"password":"acme-pw-51"}'),
        ]);
        await must([
          'create',
          'secret',
          'victim-db',
          session.write('victim-db.json', '{"password":"victim-pw-77"}'),
        ]);
        await session.nodejsImage(inAcme);
        await acmeFunction('leak', LEAK);
      }, SETUP_TIMEOUT);

      afterAll(async () => {
        await session?.stop();
      });

      describe('finding 1: an organisation administrator stays in its organisation', () => {
        it('cannot make a policy global, at creation or later', async () => {
          const rules = [{ subjects: ['acme/boss'], resources: ['*'], actions: ['*'] }];
          const created = await as(boss, 'POST', '/v1/iam/policy', { name: 'takeover', rules, global: true });
          expect(created.status).toBe(403);
          expect(created.body.message).toContain('global');
          expect((await as(boss, 'POST', '/v1/iam/policy', { name: 'local', rules })).status).toBe(201);
          const widened = await as(boss, 'PUT', '/v1/iam/policy/local', {
            name: 'local',
            rules,
            global: true,
          });
          expect(widened.status).toBe(403);
          // Nothing global was made: the victim's secret stays out of reach.
          const read = await as(boss, 'GET', '/v1/secret/victim-db', undefined, victim);
          expect([401, 403]).toContain(read.status);
          expect(read.text).not.toContain('victim-pw-77');
        });

        it('cannot create, delete or list other organisations, whatever X-Dispatch-Org says', async () => {
          const create = await as(boss, 'POST', '/v1/iam/organization', { name: 'evil' });
          expect(create.status).toBe(403);
          const remove = await as(boss, 'DELETE', '/v1/iam/organization/bystander');
          expect(remove.status).toBe(403);
          expect((await api(admin, 'GET', '/v1/iam/organization/bystander', victim)).status).toBe(200);
          expect((await as(boss, 'GET', `/v1/iam/organization/${victim}`)).status).toBe(403);
          const listed = await as(boss, 'GET', '/v1/iam/organization');
          expect(listed.status).toBe(200);
          expect((listed.body as unknown as { name: string }[]).map((o) => o.name)).toEqual(['acme']);
          expect((await as(boss, 'GET', '/v1/iam/organization/acme')).status).toBe(200);
        });
      });

      describe('finding 2: using a secret needs a permission on it', () => {
        it('refuses a run that names a secret its caller may not use, and records nothing', async () => {
          expect((await as(dev, 'GET', '/v1/secret')).status).toBe(403);
          const run = await as(dev, 'POST', '/v1/runs', {
            functionName: 'leak',
            secrets: ['acme-db'],
            input: {},
          });
          expect(run.status).toBe(403);
          expect(run.body.message).toBe(
            'acme/dev may not use secret acme-db in organization acme: no policy allows it',
          );
          const runs = await as(boss, 'GET', '/v1/runs?functionName=leak');
          expect(runs.text).not.toContain('acme-pw-51');
          // Its administrator may.
          const allowed = await as(boss, 'POST', '/v1/runs', { functionName: 'leak', secrets: ['acme-db'] });
          expect(allowed.status).toBe(200);
          expect(JSON.stringify(allowed.body['output'])).toContain('acme-pw-51');
        });

        it('refuses a function, subscription or driver that names a secret its writer may not use', async () => {
          const source = sourceOf(tarEntry('index.js', Buffer.from(LEAK)));
          const fn = { name: 'sneaky', image: 'nodejs', source, handler: './index.js', secrets: ['acme-db'] };
          expect((await as(dev, 'POST', '/v1/function', fn)).status).toBe(403);
          // Changing the code of a function that holds a secret is using that secret too.
          await acmeFunction('guarded', LEAK, { secrets: ['acme-db'] });
          const rewrite = await as(dev, 'PUT', '/v1/function/guarded', {
            image: 'nodejs',
            source,
            handler: './index.js',
            secrets: ['acme-db'],
          });
          expect(rewrite.status).toBe(403);
          // A developer allowed to manage subscriptions and drivers still needs the secret.
          await must([
            '--organization',
            'acme',
            'iam',
            'create',
            'policy',
            'dev-events',
            '--subject',
            'acme/dev',
            '--resource',
            'subscription,eventdriver',
            '--action',
            '*',
          ]);
          const sub = { name: 's1', eventType: 'x.y', function: 'leak', secrets: ['acme-db'] };
          const subscription = await eventually('the new policy', async () => {
            const answer = await as(dev, 'POST', '/v1/event/subscriptions', sub);
            return answer.status === 403 && answer.body.message?.includes('may not create')
              ? undefined
              : answer;
          });
          expect(subscription.status).toBe(403);
          expect(subscription.body.message).toContain('may not use secret acme-db');
          const driver = {
            name: 'd1',
            type: 'timer',
            config: [{ key: 'interval', value: '1h' }],
            secrets: ['acme-db'],
          };
          expect((await as(dev, 'POST', '/v1/event/drivers', driver)).status).toBe(403);
        });

        it('lets a `use` grant run with a secret without reading it', async () => {
          await must([
            '--organization',
            'acme',
            'iam',
            'create',
            'policy',
            'dev-use',
            '--subject',
            'acme/dev',
            '--resource',
            'secret',
            '--action',
            'use',
          ]);
          const run = await eventually('the use grant', async () => {
            const answer = await as(dev, 'POST', '/v1/runs', { functionName: 'leak', secrets: ['acme-db'] });
            return answer.status === 200 ? answer : undefined;
          });
          expect(JSON.stringify(run.body['output'])).toContain('acme-pw-51');
          expect((await as(dev, 'GET', '/v1/secret/acme-db')).status).toBe(403);
        });
      });

      describe("finding 3: no organisation takes over another's endpoint URLs", () => {
        const gatewayCall = (path: string, host?: string) => {
          const url = new URL(path, session.gateway.http);
          return call(url.href, { headers: host ? { host } : {} });
        };

        it('refuses hosts an operator has not granted to the organisation, and serves them once granted', async () => {
          const claim = {
            name: 'claim',
            function: 'leak',
            uris: ['/hello'],
            methods: ['GET'],
            hosts: ['127.0.0.1'],
          };
          const refused = await as(boss, 'POST', '/v1/endpoint', claim);
          expect(refused.status).toBe(403);
          expect(refused.body.message).toContain('host 127.0.0.1 is not granted to organization acme');
          // An operator (a global administrator) grants acme its own domain.
          await must(['iam', 'update', 'organization', 'acme', '--host', 'acme.test']);
          // Endpoints answer a create with 200, as the upstream endpoints.yaml has it.
          const granted = await as(boss, 'POST', '/v1/endpoint', { ...claim, hosts: ['acme.test'] });
          expect(granted.status).toBe(200);
          const served = await eventually('the granted host', async () => {
            const answer = await gatewayCall('/hello', 'acme.test');
            return answer.status === 200 ? answer : undefined;
          });
          expect(served.body).toHaveProperty('secrets');
          // Only the operator may grant hosts; and a host is granted to one organisation.
          const self = await as(boss, 'PUT', '/v1/iam/organization/acme', {
            name: 'acme',
            hosts: ['acme.test', '127.0.0.1'],
          });
          expect(self.status).toBe(403);
          const twice = await dispatch(['iam', 'create', 'organization', 'beta', '--host', 'acme.test']);
          expect(twice.code).toBe(4);
          expect(twice.stderr).toContain('host acme.test is already granted to organization acme');
        });

        it("keeps another organisation's /<org>/ paths its own", async () => {
          const shadow = await api(admin, 'POST', '/v1/endpoint', 'default', {
            name: 'shadow',
            function: 'hello',
            uris: ['/acme/hello'],
            methods: ['GET'],
          });
          expect(shadow.status).toBe(409);
          expect(shadow.body.message).toContain('/acme/ belongs to organization acme');
        });
      });

      describe('finding 4: a token lives at most an hour from now', () => {
        it("accepts the original CLI's tokens and refuses one issued in the future or living longer", async () => {
          const get = async (times: { iat?: number; exp?: number }) =>
            api(await tokenOf(boss, times), 'GET', '/v1/function', 'acme');
          expect((await get({ iat: now() - 60, exp: now() + 3600 })).status).toBe(200);
          const future = await get({ iat: now() + 365 * 86400, exp: now() + 365 * 86400 + 600 });
          expect(future.status).toBe(401);
          expect(future.body.message).toContain('issued in the future');
          const long = await get({ iat: now(), exp: now() + 2 * 3600 });
          expect(long.status).toBe(401);
          expect(long.body.message).toContain('more than 60 minutes from now');
        });
      });

      describe("finding 5: callers' credentials stay out of run records", () => {
        it('redacts Authorization and Cookie in runs, and gives them to the function only when the endpoint asks', async () => {
          const endpoint = { name: 'creds', function: 'leak', uris: ['/creds'], methods: ['GET'] };
          expect((await as(boss, 'POST', '/v1/endpoint', endpoint)).status).toBe(200);
          const send = { authorization: 'Bearer caller-token-93', cookie: 'session=caller-cookie-93' };
          const answer = await eventually('the endpoint', async () => {
            const res = await call(`${session.gateway.http}/acme/creds`, { headers: send });
            return res.status === 200 ? res : undefined;
          });
          expect(answer.text).not.toContain('caller-token-93');
          expect(answer.text).not.toContain('caller-cookie-93');
          const optIn = { ...endpoint, forwardCredentials: true };
          expect((await as(boss, 'PUT', '/v1/endpoint/creds', optIn)).status).toBe(200);
          const seen = await eventually('the opt-in', async () => {
            const res = await call(`${session.gateway.http}/acme/creds`, { headers: send });
            return res.text.includes('caller-token-93') ? res : undefined;
          });
          expect(seen.text).toContain('caller-cookie-93');
          const runs = await eventually('the runs recorded', async () => {
            const res = await as(boss, 'GET', '/v1/runs?functionName=leak');
            return (res.body as unknown as unknown[]).length >= 4 ? res : undefined;
          });
          // What the function returned is its own; what Dispatch recorded of the request holds no credential.
          const recorded = JSON.stringify(
            (runs.body as unknown as { httpContext?: unknown }[]).map((r) => r.httpContext),
          );
          expect(recorded).not.toContain('caller-token-93');
          expect(recorded).not.toContain('caller-cookie-93');
          expect(recorded).toContain('[redacted]');
        });
      });

      describe('finding 6: webhooks refuse replays and keep their secret', () => {
        it('takes a signed delivery once, refuses it again, and never shows the secret', async () => {
          await acmeFunction('hooked', 'module.exports = (context, input) => ({ got: input });\n');
          expect(
            (
              await as(boss, 'POST', '/v1/event/subscriptions', {
                name: 'on-hook',
                eventType: 'webhook.request',
                function: 'hooked',
              })
            ).status,
          ).toBe(201);
          // The shared secret in a setting would be shown to every reader of the driver: refused.
          const inConfig = await as(boss, 'POST', '/v1/event/drivers', {
            name: 'hook',
            type: 'webhook',
            config: [{ key: 'secret', value: 'hook-secret-31' }],
          });
          expect(inConfig.status).toBe(400);
          expect(inConfig.body.message).toContain('a webhook secret belongs in a secret');
          await must([
            '--organization',
            'acme',
            'create',
            'secret',
            'hook-key',
            session.write('hook.json', '{"secret":"hook-secret-31"}'),
          ]);
          const driver = await as(boss, 'POST', '/v1/event/drivers', {
            name: 'hook',
            type: 'webhook',
            secrets: ['hook-key'],
          });
          expect(driver.status).toBe(201);
          const url = `${session.api}${driver.body['url'] as string}`;
          await eventually('the webhook READY', async () =>
            (await as(boss, 'GET', '/v1/event/drivers/hook')).body['status'] === 'READY' ? true : undefined,
          );
          const body = '{"name":"delivery"}';
          const id = `msg_${randomUUID()}`;
          const timestamp = String(now());
          const signature = createHmac('sha256', 'hook-secret-31')
            .update(`${id}.${timestamp}.${body}`)
            .digest('base64');
          const deliver = (headers: Record<string, string>) =>
            call(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
          const signed = {
            'webhook-id': id,
            'webhook-timestamp': timestamp,
            'webhook-signature': `v1,${signature}`,
          };
          expect((await deliver(signed)).status).toBe(200);
          const replay = await deliver(signed);
          expect(replay.status).toBe(409);
          expect(replay.body.message).toContain(`delivery ${id} was already received`);
          // An old delivery, signed correctly, is refused by its timestamp.
          const old = String(now() - 3600);
          const oldSignature = createHmac('sha256', 'hook-secret-31')
            .update(`${id}-old.${old}.${body}`)
            .digest('base64');
          const stale = await deliver({
            'webhook-id': `${id}-old`,
            'webhook-timestamp': old,
            'webhook-signature': `v1,${oldSignature}`,
          });
          expect(stale.status).toBe(401);
          // The unstamped signature of the body alone can be replayed forever: no longer accepted.
          const unstamped = createHmac('sha256', 'hook-secret-31').update(body).digest('hex');
          expect((await deliver({ 'x-dispatch-signature': `sha256=${unstamped}` })).status).toBe(401);
          const runs = await eventually('the delivery run', async () => {
            const res = await as(boss, 'GET', '/v1/runs?functionName=hooked');
            return (res.body as unknown as unknown[]).length > 0 ? res : undefined;
          });
          await new Promise((r) => setTimeout(r, 1000));
          const after = await as(boss, 'GET', '/v1/runs?functionName=hooked');
          expect((after.body as unknown as unknown[]).length).toBe(
            (runs.body as unknown as unknown[]).length,
          );
          expect((after.body as unknown as unknown[]).length).toBe(1);
          expect((await as(boss, 'GET', '/v1/event/drivers/hook')).text).not.toContain('hook-secret-31');
        });
      });

      describe('finding 7: an upload never takes the platform down', () => {
        it('ends a function whose source unpacks too large or into too many files in ERROR, and keeps serving', async () => {
          const bomb = sourceOf(
            tarEntry('big.bin', 150 * 1024 * 1024),
            tarEntry('index.js', Buffer.from(LEAK)),
          );
          expect(bomb.length).toBeLessThan(1024 * 1024);
          expect(
            (
              await as(dev, 'POST', '/v1/function', {
                name: 'bomb',
                image: 'nodejs',
                source: bomb,
                handler: './index.js',
              })
            ).status,
          ).toBe(201);
          const swarm = sourceOf(...Array.from({ length: 60_001 }, (_, i) => tarEntry(`f/${i}.js`, 0)));
          expect(
            (
              await as(dev, 'POST', '/v1/function', {
                name: 'swarm',
                image: 'nodejs',
                source: swarm,
                handler: './f/0.js',
              })
            ).status,
          ).toBe(201);
          const bombed = await statusOf('bomb');
          expect(bombed).toMatchObject({
            status: 'ERROR',
            reason: [expect.stringContaining('unpacks to over 100 MB')],
          });
          const swarmed = await statusOf('swarm');
          expect(swarmed).toMatchObject({
            status: 'ERROR',
            reason: [expect.stringContaining('more than 10000 files')],
          });
          // Still serving, other functions too.
          const run = await as(boss, 'POST', '/v1/runs', { functionName: 'leak', input: {} });
          expect(run.status).toBe(200);
        }, 120_000);
      });

      describe('finding 8: a run keeps at most a bounded log', () => {
        it('cuts a run that prints 12 MB at the cap and says so', async () => {
          await acmeFunction(
            'loud',
            `module.exports = () => { for (let i = 0; i < 12; i++) console.log('x'.repeat(1024 * 1024)); return 'done'; };\n`,
          );
          const run = await as(boss, 'POST', '/v1/runs', { functionName: 'loud', input: {} });
          expect(run.status).toBe(200);
          expect(run.body['output']).toBe('done');
          const logs = run.body['logs'] as { stdout: string[]; truncated?: boolean };
          expect(logs.truncated).toBe(true);
          expect(logs.stdout.join('\n').length).toBeLessThanOrEqual(1024 * 1024 + 200);
          expect(logs.stdout.at(-1)).toContain('truncated');
          const stored = await as(boss, 'GET', `/v1/runs/${run.body['name'] as string}?functionName=loud`);
          expect(stored.text.length).toBeLessThan(1.2 * 1024 * 1024);
        }, 60_000);
      });

      describe('finding 9: answers hold no host paths', () => {
        it('shows functions and images without their directories', async () => {
          const fn = await as(boss, 'GET', '/v1/function/leak');
          const image = await as(boss, 'GET', '/v1/image/nodejs');
          for (const answer of [fn, image]) {
            expect(answer.status).toBe(200);
            expect(answer.text).not.toContain(session.dataDir);
            expect(answer.text).not.toMatch(/codeDir|dependenciesDir|"dir"/);
          }
        });
      });

      describe('finding 11: what a request makes on the side needs leave of its own', () => {
        it('makes no base image from an image URL for a caller who may not create base images', async () => {
          const keys = newKeys();
          const imager: Account = { subject: 'acme/imager', key: keys.key };
          const inAcme = ['--organization', 'acme'];
          await must([
            ...inAcme,
            'iam',
            'create',
            'serviceaccount',
            'imager',
            '--public-key',
            session.write('imager.pub', keys.pub),
          ]);
          await must([
            ...inAcme,
            'iam',
            'create',
            'policy',
            'acme-imager',
            '--subject',
            'acme/imager',
            '--resource',
            'image',
            '--action',
            '*',
          ]);
          const url = 'dispatchframework/nodejs-base:9.9.9-side';
          const refused = await eventually('the imager policy', async () => {
            const res = await as(imager, 'POST', '/v1/image', { name: 'side', baseImage: url });
            return res.status === 403 && /base images/.test(String(res.body.message)) ? res : undefined;
          });
          expect(refused.body.message).toBe(
            `acme/imager may not create base images in organization acme, and no base image of ${url} is there: ask for one, or name an existing base image`,
          );
          expect((await as(boss, 'GET', '/v1/baseimage')).text).not.toContain(url);
          // Once a base image of that URL is there, the same call uses it.
          expect((await as(dev, 'POST', '/v1/image', { name: 'side', baseImage: url })).status).toBe(201);
          expect((await as(imager, 'POST', '/v1/image', { name: 'side-2', baseImage: url })).status).toBe(
            201,
          );
        });
      });

      describe('finding 10: inputs that break parsers, and unauthenticated bodies', () => {
        it('refuses input nested too deep with a 400', async () => {
          const deep = `{"functionName":"leak","input":${'['.repeat(5000)}${']'.repeat(5000)}}`;
          const answer = await call(`${session.api}/v1/runs`, {
            method: 'POST',
            headers: {
              authorization: await tokenOf(boss),
              'x-dispatch-org': 'acme',
              'content-type': 'application/json',
            },
            body: deep,
          });
          expect(answer.status).toBe(400);
          expect(answer.body.message).toContain('nested deeper than');
        });

        it('refuses a body without a credential before reading it', async () => {
          const answer = await call(`${session.api}/v1/function`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: `{"not json${'x'.repeat(1024 * 1024)}`,
          });
          expect(answer.status).toBe(401);
        });
      });
    }),
);
