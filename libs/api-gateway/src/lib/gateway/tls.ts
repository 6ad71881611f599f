import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsFiles {
  /** A configured certificate and key (PEM files); without them one is generated on first start. */
  certFile?: string;
  keyFile?: string;
  /** Where a generated pair is kept: `<dataDir>/gateway/tls.crt` and `tls.key` (owner-only). */
  dataDir: string;
}

/** The gateway's HTTPS certificate and key, configured or self-signed once for localhost. */
export async function loadTls(files: TlsFiles): Promise<{ cert: string; key: string }> {
  if (files.certFile || files.keyFile) {
    if (!files.certFile || !files.keyFile)
      throw new Error('give both DISPATCH_TLS_CERT and DISPATCH_TLS_KEY, or neither for a self-signed pair');
    return { cert: await readFile(files.certFile, 'utf8'), key: await readFile(files.keyFile, 'utf8') };
  }
  const dir = join(files.dataDir, 'gateway');
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  try {
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 2);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  await writeFile(certFile, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private };
}
