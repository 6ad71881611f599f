import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { saveCliContext } from '@dispatch/api-client';
import { LOCAL_ADMIN, LocalAdmin } from '@dispatch/identity';
import { ensurePrivateDir } from '@dispatch/platform';
import type { SoloConfig } from './env.js';

/** The CLI context solo keeps pointing at itself. */
export const SOLO_CONTEXT = 'solo';

/**
 * The local user is the administrator of a solo Dispatch. On the first start of a data directory, an RSA
 * key is made and kept there, owner-only, and the installation is bootstrapped for it (org `default`,
 * service account `default/admin`, a global policy allowing it everything). On every start, the CLI
 * config's `solo` context is pointed at this server and that key, so `dispatch` works with no login on
 * this machine, while the API still refuses a call without a credential.
 */
export async function createLocalAdmin(app: INestApplicationContext, config: SoloConfig): Promise<boolean> {
  const keyFile = adminKeyFile(config);
  const admin = app.get(LocalAdmin);
  if (await admin.needed()) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await ensurePrivateDir(config.dataDir);
    // The key is on disk before the account exists: a crash in between never leaves an admin no one holds.
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await admin.create(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    return true;
  }
  return false;
}

/** Points the CLI's `solo` context at this server (on the port it got) and the administrator's key. */
export function saveLocalContext(config: SoloConfig, port: number): string | undefined {
  const keyFile = adminKeyFile(config);
  if (!existsSync(keyFile)) return undefined;
  saveCliContext(config.cliConfig, SOLO_CONTEXT, {
    host: config.host === '0.0.0.0' ? '127.0.0.1' : config.host,
    port,
    scheme: 'http',
    organization: LOCAL_ADMIN.org,
    project: 'default',
    serviceAccount: LOCAL_ADMIN_ACCOUNT,
    jwtPrivateKey: keyFile,
  });
  return keyFile;
}

export const adminKeyFile = (config: Pick<SoloConfig, 'dataDir'>) => join(config.dataDir, 'admin.key');

/** The local administrator's service account, `org/account`. */
export const LOCAL_ADMIN_ACCOUNT = `${LOCAL_ADMIN.org}/${LOCAL_ADMIN.account}`;
