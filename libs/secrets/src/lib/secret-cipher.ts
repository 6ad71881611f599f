import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DomainError, type SecretValues } from '@dispatch/contracts';

/** A secret's values as stored: AES-256-GCM ciphertext, its nonce and tag, all base64. */
export interface SealedValues {
  alg: 'A256GCM';
  iv: string;
  tag: string;
  data: string;
}

export interface CipherConfig {
  /** 32 bytes in base64 (DISPATCH_SECRETS_KEY): every replica of the secrets service needs the same. */
  key?: string;
  /** Where a key is generated on first start when none is configured, readable by its owner only. */
  keyFile: string;
}

const KEY_BYTES = 32;

/**
 * Seals secret values with AES-256-GCM (node:crypto). The associated data is the secret's identity
 * (org/project/name), so a sealed value copied onto another secret fails to open rather than leaking.
 */
export class SecretCipher {
  private constructor(private readonly key: Buffer) {}

  static async load(config: CipherConfig): Promise<SecretCipher> {
    if (config.key !== undefined) return new SecretCipher(decodeKey(config.key, 'DISPATCH_SECRETS_KEY'));
    return new SecretCipher(decodeKey(await readOrCreateKey(config.keyFile), config.keyFile));
  }

  seal(values: SecretValues, identity: string): SealedValues {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(identity));
    const data = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
    return {
      alg: 'A256GCM',
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  open(sealed: SealedValues, identity: string): SecretValues {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(identity));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const text = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
      return JSON.parse(text.toString('utf8')) as SecretValues;
    } catch {
      // Never the values, never the key: only which secret and the likely cause.
      throw new DomainError(
        'INTERNAL',
        `secret ${identity} cannot be decrypted: it was sealed with another key or has been altered`,
      );
    }
  }
}

function decodeKey(text: string, source: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `${source} must hold a ${KEY_BYTES}-byte key in base64, e.g. from \`openssl rand -base64 32\``,
    );
  }
  return key;
}

async function readOrCreateKey(file: string): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    // Whoever made the file, it stays its owner's alone.
    await chmod(file, 0o600);
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const text = `${randomBytes(KEY_BYTES).toString('base64')}\n`;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // `wx`: two processes racing on a fresh directory keep one key between them.
    await writeFile(file, text, { mode: 0o600, flag: 'wx' });
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFile(file, 'utf8');
    throw err;
  }
}
