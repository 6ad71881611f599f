import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { DomainError } from '@dispatch/contracts';
import { ServiceAccountTokens } from './service-account-tokens.js';

const registered = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = registered.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const tokens = new ServiceAccountTokens({
  publicKey: async (org, account) => (org === 'acme' && account === 'ci' ? publicPem : undefined),
});

const now = () => Math.floor(Date.now() / 1000);
function sign(claims: { iss?: string; iat?: number; exp?: number }, key = registered.privateKey) {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'RS256' });
  if (claims.iss) jwt.setIssuer(claims.iss);
  jwt.setIssuedAt(claims.iat ?? now());
  jwt.setExpirationTime(claims.exp ?? now() + 300);
  return jwt.sign(key);
}
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refusal(token: string, org = 'acme', global: string[] = []): Promise<string> {
  const check = async () =>
    ServiceAccountTokens.checkOrg(await tokens.verify(token), org, (s) => global.includes(s));
  const err = await check().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe('UNAUTHENTICATED');
  return (err as DomainError).message;
}

describe('service account tokens', () => {
  it('accepts a token signed with the registered key, naming its subject', async () => {
    expect(await tokens.verify(await sign({ iss: 'acme/ci' }))).toMatchObject({
      subject: 'acme/ci',
      org: 'acme',
    });
  });

  it('refuses a token signed with another key', async () => {
    expect(await refusal(await sign({ iss: 'acme/ci' }, stranger.privateKey))).toBe(
      "the token's signature does not match service account ci's public key",
    );
  });

  it('refuses an expired token', async () => {
    expect(await refusal(await sign({ iss: 'acme/ci', iat: now() - 600, exp: now() - 300 }))).toBe(
      'the token has expired',
    );
  });

  it('refuses a token for another org, unless a global policy names the account', async () => {
    expect(await refusal(await sign({ iss: 'acme/ci' }), 'other')).toBe(
      'the token is for organization acme, and this request is for other',
    );
    const token = await tokens.verify(await sign({ iss: 'acme/ci' }));
    expect(() => ServiceAccountTokens.checkOrg(token, 'other', (s) => s === 'acme/ci')).not.toThrow();
  });

  it('refuses an account that does not exist', async () => {
    expect(await refusal(await sign({ iss: 'acme/nobody' }))).toBe(
      'there is no service account nobody in organization acme',
    );
  });

  it('refuses a tampered token', async () => {
    const [header, , signature] = (await sign({ iss: 'acme/ci' })).split('.');
    const forged = base64url({ iss: 'acme/ci', iat: now(), exp: now() + 300, admin: true });
    expect(await refusal(`${header}.${forged}.${signature}`)).toContain('signature does not match');
  });

  it('refuses alg none, and a token signed with the public key as an HMAC secret', async () => {
    const claims = base64url({ iss: 'acme/ci', iat: now(), exp: now() + 300 });
    expect(await refusal(`${base64url({ alg: 'none', typ: 'JWT' })}.${claims}.`)).toBe(
      'the token is not signed with RS256',
    );
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('acme/ci')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(publicPem));
    expect(await refusal(hs)).toBe('the token is not signed with RS256');
  });

  it('refuses a token that lives too long, or is not a JWT at all', async () => {
    expect(await refusal(await sign({ iss: 'acme/ci', exp: now() + 2 * 3600 }))).toBe(
      'the token expires more than 60 minutes from now: sign a shorter-lived one',
    );
    expect(await refusal('not-a-jwt')).toBe('the bearer token is not a JWT');
  });

  it("accepts the original Dispatch CLI's tokens: issued a minute back, for an hour from now", async () => {
    const token = await sign({ iss: 'acme/ci', iat: now() - 60, exp: now() + 3600 });
    expect(await tokens.verify(token)).toMatchObject({ subject: 'acme/ci' });
  });

  it('refuses a token dated ahead to outlive the hour, whatever its exp - iat', async () => {
    const ahead = now() + 365 * 86400;
    expect(await refusal(await sign({ iss: 'acme/ci', iat: ahead, exp: ahead + 600 }))).toMatch(
      /^the token is issued in the future \(iat \d+ s from now\): check the signer's clock$/,
    );
    // A small skew between clocks is not the future.
    expect(await tokens.verify(await sign({ iss: 'acme/ci', iat: now() + 10 }))).toMatchObject({
      subject: 'acme/ci',
    });
  });
});
