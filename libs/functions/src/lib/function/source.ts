import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '@dispatch/contracts';
import { extract } from 'tar';

/** Unpacked code may not grow past this: a gzip bomb is refused, not written. */
const MAX_UNPACKED_BYTES = 100 * 1024 * 1024;

/** Unpacks a function's source (a base64 gzipped tar) into `dir`, refusing paths that leave it. */
export async function unpackSource(source: string, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const archive = Buffer.from(source, 'base64');
  let total = 0;
  try {
    await pipeline(
      Readable.from([archive]),
      extract({
        cwd: dir,
        strict: true,
        // Files belong to Dispatch, whoever owned them in the archive.
        preserveOwner: false,
        // tar already refuses absolute paths and `..`; links could still point outside the code.
        filter: (_path, entry) => {
          const kind = 'type' in entry ? entry.type : undefined;
          total += 'size' in entry ? (entry.size ?? 0) : 0;
          if (total > MAX_UNPACKED_BYTES)
            throw new DomainError('INVALID_ARGUMENT', 'the source unpacks to over 100 MB');
          // Readable by the function's own user in its sandbox; only its sandbox can reach the directory.
          if ('mode' in entry && entry.mode !== undefined)
            entry.mode = (entry.mode | (kind === 'Directory' ? 0o755 : 0o644)) & 0o755;
          return kind !== 'SymbolicLink' && kind !== 'Link';
        },
      }),
    );
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DomainError(
      'INVALID_ARGUMENT',
      `the source is not a gzipped tar archive: ${(err as Error).message}`,
    );
  }
}

/** The files at the top of the unpacked code, for inferring a handler when there is just one. */
async function topFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const files: string[] = [];
  for (const name of names) if ((await stat(join(dir, name))).isFile()) files.push(name);
  return files;
}

/**
 * The handler a single-file function needs no `--handler` for, as the original CLI inferred it: the
 * file for nodejs, `module.handle` for python3, the class (in its package) for java.
 */
export async function inferHandler(language: string, dir: string): Promise<string | undefined> {
  const files = await topFiles(dir);
  if (files.length !== 1) return undefined;
  const file = files[0] as string;
  switch (language) {
    case 'nodejs':
      return `./${file}`;
    case 'python3':
      return file.endsWith('.py') ? `${file.slice(0, -3)}.handle` : undefined;
    case 'java': {
      if (!file.endsWith('.java')) return undefined;
      const pkg = javaPackage(await readFile(join(dir, file), 'utf8'));
      return pkg ? `${pkg}.${file.slice(0, -5)}` : file.slice(0, -5);
    }
    default:
      return undefined;
  }
}

/** The `package a.b;` a Java source declares, comments aside. */
export function javaPackage(source: string): string | undefined {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ');
  return /^\s*package\s+([\w.]+)\s*;/m.exec(code)?.[1];
}
