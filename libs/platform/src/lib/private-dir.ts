import { chmod, mkdir } from 'node:fs/promises';

/**
 * Creates a directory only its owner may enter, and tightens one that exists. Function code and image
 * builds live under such directories: a sandboxed function reaches its own files through the mounts
 * of its sandbox, never through these paths.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}
