import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '@dispatch/contracts';
import { extract } from 'tar';

/** Unpacked code may not grow past this: a gzip bomb is refused, not written. */
const MAX_UNPACKED_BYTES = 100 * 1024 * 1024;
/** Nor hold more files than this: a small archive of empty files is as costly as a large one. */
const MAX_ENTRIES = 10_000;

/**
 * Unpacks a function's source (a base64 gzipped tar) into `dir`, refusing paths that leave it. An
 * archive past the limits (by the sizes its headers declare, before anything is written) is abandoned
 * with INVALID_ARGUMENT, which ends the function in ERROR: tar is told to abort, since an error thrown
 * inside its callbacks would escape the pipeline and end the whole process.
 */
export async function unpackSource(source: string, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const archive = Buffer.from(source, 'base64');
  let total = 0;
  let entries = 0;
  let refusal: DomainError | undefined;
  const refuse = (message: string) => {
    refusal ??= new DomainError('INVALID_ARGUMENT', message);
    unpack.abort(refusal);
    return false;
  };
  const unpack = extract({
    cwd: dir,
    strict: true,
    // Files belong to Dispatch, whoever owned them in the archive.
    preserveOwner: false,
    // tar already refuses absolute paths and `..`; links could still point outside the code.
    filter: (_path, entry) => {
      if (refusal) return false;
      const kind = 'type' in entry ? entry.type : undefined;
      total += 'size' in entry ? (entry.size ?? 0) : 0;
      entries += 1;
      if (total > MAX_UNPACKED_BYTES) return refuse('the source unpacks to over 100 MB');
      if (entries > MAX_ENTRIES) return refuse(`the source holds more than ${MAX_ENTRIES} files`);
      // Readable by the function's own user in its sandbox; only its sandbox can reach the directory.
      if ('mode' in entry && entry.mode !== undefined)
        entry.mode = (entry.mode | (kind === 'Directory' ? 0o755 : 0o644)) & 0o755;
      return kind !== 'SymbolicLink' && kind !== 'Link';
    },
  });
  try {
    await pipeline(Readable.from([archive]), unpack);
    if (refusal) throw refusal;
  } catch (err) {
    if (refusal) throw refusal;
    if (err instanceof DomainError) throw err;
    throw new DomainError(
      'INVALID_ARGUMENT',
      `the source is not a gzipped tar archive: ${(err as Error).message}`,
    );
  } finally {
    // A refused archive leaves nothing half-written behind (tar may still be finishing writes it began
    // before the abort: retried, and at worst left for the next unpack, which starts by removing it).
    if (refusal)
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(() => undefined);
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
