// The first administrator of an installation, as an operator makes it with the bootstrap key, and the
// CLI context that signs in as it: for the local cluster (tools/cluster.js) and the chart on the
// Kubernetes node (tools/k8s.js).
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DispatchClient, saveCliContext } from '@dispatch/api-client';
import { SignJWT } from 'jose';

/** The CLI's configuration file, where the tools add their contexts. */
export const CLI_CONFIG = process.env.DISPATCH_CONFIG ?? join(homedir(), '.dispatch', 'config.json');

/** A key pair kept in a file (owner-only), made on first use. */
export function keyPair(file) {
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  return {
    privateKey,
    publicPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const sign = (issuer, key) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);

const ignoreExisting = (err) => {
  if (err.code !== 'ALREADY_EXISTS') throw err;
};

/**
 * Makes org `default`, service account `admin` (its key in `adminKey`) and a global policy for it on
 * the installation answering at `api` (127.0.0.1:`port`), signing in with `bootstrapKey`, then saves
 * the CLI context `context`. An installation bootstrapped before keeps its administrator: whether it
 * has one is asked of the installation itself, not of a key file that may have outlived its data.
 * `fresh` says how to start over when the data was bootstrapped with a key that is gone.
 */
export async function bootstrapAdmin({ api, port, bootstrapKey, adminKey, context, fresh }) {
  if (!(await adminWorks(api, adminKey))) {
    rmSync(adminKey, { force: true });
    const boot = new DispatchClient({ baseUrl: api, token: await sign('bootstrap', bootstrapKey) });
    const admin = keyPair(adminKey);
    try {
      await boot.organizations.create({ name: 'default' }).catch(ignoreExisting);
      await boot.serviceAccounts.create({ name: 'admin', publicKey: admin.publicPem }).catch(ignoreExisting);
      await boot.policies
        .create({
          name: 'admin',
          global: true,
          rules: [{ subjects: ['default/admin'], resources: ['*'], actions: ['*'] }],
        })
        .catch(ignoreExisting);
    } catch (err) {
      throw new Error(
        `the installation's data was bootstrapped with an administrator key that is gone (${err.message}): ${fresh}`,
      );
    }
  }
  saveCliContext(CLI_CONFIG, context, {
    host: '127.0.0.1',
    port,
    scheme: 'http',
    organization: 'default',
    project: 'default',
    serviceAccount: 'default/admin',
    jwtPrivateKey: adminKey,
  });
}

/** Whether the installation takes the administrator's key (it has the account and its policy). */
async function adminWorks(api, adminKey) {
  if (!existsSync(adminKey)) return false;
  const token = await sign('default/admin', keyPair(adminKey).privateKey);
  const res = await fetch(`${api}/v1/iam/auth`, { headers: { authorization: `Bearer ${token}` } });
  return res.ok;
}
