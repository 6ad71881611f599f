// Credentials for the benchmarks: the API refuses calls without one, as it would a user's.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DispatchClient } from '@dispatch/api-client';
import { SignJWT } from 'jose';

const sign = (issuer, key) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime('55m')
    .sign(key);

/** A token of solo's local administrator (`default/admin`, its key in the data directory). */
export function soloAdminToken(dataDir) {
  return sign('default/admin', createPrivateKey(readFileSync(join(dataDir, 'admin.key'), 'utf8')));
}

/** A bootstrap key pair for a fresh distributed installation (DISPATCH_BOOTSTRAP_PUBLIC_KEY). */
export function bootstrapKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * What an operator does first on a fresh installation: as the bootstrap identity, the org, an `admin`
 * service account and its policy, through the identity service. Gives a token of that account.
 */
export async function bootstrapAdmin(identityUrl, org, bootstrapPrivateKey) {
  const boot = new DispatchClient({
    baseUrl: identityUrl,
    org,
    token: await sign('bootstrap', bootstrapPrivateKey),
  });
  const admin = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await boot.organizations.create({ name: org });
  await boot.serviceAccounts.create({
    name: 'admin',
    publicKey: admin.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  await boot.policies.create({
    name: 'admin',
    rules: [{ subjects: [`${org}/admin`], resources: ['*'], actions: ['*'] }],
  });
  return sign(`${org}/admin`, admin.privateKey);
}
