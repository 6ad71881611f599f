import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DomainError, SECRETS_RESOLVER, type Secret, type SecretsResolver } from '@dispatch/contracts';
import { startTestApp, type TestApp } from '@dispatch/platform';
import { SecretCipher } from './secret-cipher.js';
import { SecretsModule } from './secrets.module.js';

let app: TestApp;
const call = <T>(method: string, path: string, body?: unknown, org = 'default') =>
  app.call<T>(method, path, body, org);

beforeAll(async () => {
  app = await startTestApp((dataDir) => [SecretsModule.forRoot({ dataDir })]);
});
afterAll(async () => {
  await app.close();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('secrets', () => {
  it('creates, reads, lists, updates and deletes a secret', async () => {
    const created = await call<Secret>('POST', '/v1/secret', {
      name: 'open-sesame',
      secrets: { password: 'OpenSesame' },
      tags: [{ key: 'team', value: 'a' }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'open-sesame',
      kind: 'secret',
      secrets: { password: 'OpenSesame' },
      meta: { name: 'open-sesame', org: 'default', project: 'default' },
    });
    expect(created.body).not.toHaveProperty('sealed');
    expect((await call<Secret>('GET', '/v1/secret/open-sesame')).body.secrets).toEqual({
      password: 'OpenSesame',
    });
    expect((await call<Secret[]>('GET', '/v1/secret?tags=team=a')).body.map((s) => s.name)).toEqual([
      'open-sesame',
    ]);
    expect((await call<Secret[]>('GET', '/v1/secret?tags=team=b')).body).toEqual([]);

    const updated = await call<Secret>('PUT', '/v1/secret/open-sesame', { secrets: { password: 'Closed' } });
    expect(updated.status).toBe(201);
    expect((await call<Secret>('GET', '/v1/secret/open-sesame')).body.secrets).toEqual({
      password: 'Closed',
    });

    expect((await call('DELETE', '/v1/secret/open-sesame')).status).toBe(204);
    const gone = await call<{ message: string }>('GET', '/v1/secret/open-sesame');
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe('secret open-sesame not found in default/default');
  });

  it('refuses a duplicate and bad input, each naming the problem, and keeps what is stored', async () => {
    await call('POST', '/v1/secret', { name: 'kept', secrets: { a: '1' } });
    expect((await call('POST', '/v1/secret', { name: 'kept', secrets: { a: '2' } })).status).toBe(409);
    const notString = await call<{ code: number; message: string }>('PUT', '/v1/secret/kept', {
      secrets: { a: 2 },
    });
    expect(notString.status).toBe(400);
    expect(notString.body.message).toMatch(/each secret value must be a string/);
    const noValues = await call<{ message: string }>('POST', '/v1/secret', { name: 'x', secrets: 'nope' });
    expect(noValues.body.message).toMatch(/secrets must be an object/);
    const badName = await call<{ message: string }>('POST', '/v1/secret', { name: 'no spaces', secrets: {} });
    expect(badName.body.message).toMatch(/name may hold/);
    expect((await call<Secret>('GET', '/v1/secret/kept')).body.secrets).toEqual({ a: '1' });
  });

  it('offers no watch of secrets: their values would stream to whoever watched', async () => {
    const watch = await call<{ message: string }>('GET', '/v1/secret?watch=true');
    expect([watch.status, watch.body.message]).toEqual([400, 'a list of secrets cannot be watched']);
  });

  it('keeps orgs apart', async () => {
    await call('POST', '/v1/secret', { name: 'same', secrets: { who: 'default' } });
    await call('POST', '/v1/secret', { name: 'same', secrets: { who: 'other' } }, 'other');
    expect((await call<Secret>('GET', '/v1/secret/same', undefined, 'other')).body.secrets).toEqual({
      who: 'other',
    });
    expect((await call<Secret[]>('GET', '/v1/secret', undefined, 'other')).body.map((s) => s.name)).toEqual([
      'same',
    ]);
  });

  it('never writes a value to the data directory in clear text, and keeps its key owner-only', async () => {
    await call('POST', '/v1/secret', { name: 'needle', secrets: { token: 'needle-5f0c1e-in-haystack' } });
    for (const file of filesUnder(app.dataDir)) {
      expect(readFileSync(file).includes('needle-5f0c1e-in-haystack')).toBe(false);
    }
    expect(statSync(join(app.dataDir, 'secrets.key')).mode & 0o777).toBe(0o600);
  });

  it('resolves names for a run, merged in order, and refuses one that does not exist', async () => {
    await call('POST', '/v1/secret', { name: 'db', secrets: { user: 'u', password: 'p' } });
    await call('POST', '/v1/secret', { name: 'api', secrets: { password: 'override', key: 'k' } });
    const resolver = app.app.get<SecretsResolver>(SECRETS_RESOLVER);
    expect(await resolver.resolve('default', 'default', ['db', 'api'])).toEqual({
      user: 'u',
      password: 'override',
      key: 'k',
    });
    await expect(resolver.resolve('default', 'default', ['db', 'missing'])).rejects.toThrow(
      'secret missing not found in default/default',
    );
    await expect(resolver.resolve('other', 'default', ['db'])).rejects.toBeInstanceOf(DomainError);
  });
});

describe('the cipher', () => {
  // In a directory that does not exist yet, as a fresh service's data directory.
  const keyFile = () => join(mkdtempSync(join(tmpdir(), 'dispatch-key-')), 'data', 'secrets.key');

  it('generates its key once and opens what it sealed after a restart', async () => {
    const file = keyFile();
    const sealed = (await SecretCipher.load({ keyFile: file })).seal({ a: 'b' }, 'o/p/n');
    expect((await SecretCipher.load({ keyFile: file })).open(sealed, 'o/p/n')).toEqual({ a: 'b' });
  });

  it('refuses a value moved to another secret, altered, or opened with another key', async () => {
    const cipher = await SecretCipher.load({ keyFile: keyFile() });
    const sealed = cipher.seal({ a: 'b' }, 'o/p/n');
    expect(() => cipher.open(sealed, 'o/p/other')).toThrow(/cannot be decrypted/);
    const altered = { ...sealed, data: Buffer.from('tampered').toString('base64') };
    expect(() => cipher.open(altered, 'o/p/n')).toThrow(/cannot be decrypted/);
    const other = await SecretCipher.load({ keyFile: keyFile() });
    expect(() => other.open(sealed, 'o/p/n')).toThrow(/cannot be decrypted/);
  });

  it('refuses a configured key that is not 32 bytes', async () => {
    await expect(SecretCipher.load({ key: 'c2hvcnQ=', keyFile: keyFile() })).rejects.toThrow(
      /DISPATCH_SECRETS_KEY must hold a 32-byte key/,
    );
  });
});
