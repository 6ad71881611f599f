import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { DomainError } from '@dispatch/contracts';
import { create } from 'tar';

/**
 * Packs a function's source as the upstream API carries it: a gzipped tar, base64-encoded. A file is
 * packed alone (its handler can then be inferred); a directory is packed with its contents at the top.
 */
export async function packSource(path: string): Promise<string> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `source ${path} does not exist`);
  }
  const stream = isDir
    ? create({ gzip: true, cwd: path, portable: true }, ['.'])
    : create({ gzip: true, cwd: dirname(path), portable: true }, [basename(path)]);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('base64');
}
