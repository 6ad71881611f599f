import { chown, mkdir, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { tenantSandbox, type Mount, type Sandbox, type Unconfined } from '@dispatch/sandbox';
import type { Language } from '../protocol.js';

/** Where javac sees the function's code and its image's jars. */
const CODE = '/mnt/function';
const DEPENDENCIES = '/mnt/deps';

async function javaSources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'classes') out.push(...(await javaSources(path)));
    else if (entry.isFile() && entry.name.endsWith('.java')) out.push(path);
  }
  return out;
}

/**
 * Turns a function's source into what its runner loads. Only java needs it: every `.java` file is
 * compiled with javac into `classes/`, against the jars its image's Maven build resolved. javac reads
 * tenant code (and the image's jars could hold annotation processors), so it runs in the tenant
 * sandbox as the function's user, seeing the code read-only and writing only `classes/`. The outcome
 * is undefined when it worked, else the compiler's complaint.
 */
export async function compileFunction(
  language: Language,
  codeDir: string,
  dependenciesDir: string | undefined,
  uid: number,
  sandbox: Sandbox | Unconfined = tenantSandbox(),
): Promise<string | undefined> {
  if (language !== 'java') return undefined;
  const sources = await javaSources(codeDir);
  if (sources.length === 0) return 'the source has no .java file';
  const classes = join(codeDir, 'classes');
  await mkdir(classes, { recursive: true });
  if (sandbox.privileged) await chown(classes, uid, uid);
  const mounts: Mount[] = [
    { source: codeDir, target: CODE },
    { source: classes, target: `${CODE}/classes`, writable: true },
    ...(dependenciesDir ? [{ source: dependenciesDir, target: DEPENDENCIES }] : []),
  ];
  const code = sandbox.pathOf(mounts[0] as Mount);
  const inside = (path: string) => join(code, relative(codeDir, path));
  const classpath = dependenciesDir ? join(sandbox.pathOf(mounts[2] as Mount), 'lib', '*') : '';
  const javac = sandbox.spawn({
    command: 'javac',
    args: [
      '-nowarn',
      // Annotation processors would be code from the image's jars: no function needs one compiled in.
      '-proc:none',
      '-encoding',
      'UTF-8',
      '-d',
      inside(classes),
      ...(classpath ? ['-cp', classpath] : []),
      ...sources.map(inside),
    ],
    mounts,
    uid,
    limits: { memoryMb: 1024, processes: 256 },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [javac.child.stdout, javac.child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => (output = (output + chunk).slice(-64 * 1024)));
  }
  const timer = setTimeout(() => javac.kill(), 5 * 60_000);
  try {
    await javac.started;
  } catch (err) {
    clearTimeout(timer);
    return `javac could not start: ${(err as Error).message}`;
  }
  const { code: exit } = await javac.exited;
  clearTimeout(timer);
  if (exit === 0) return undefined;
  const lines = output.split('\n').filter((l) => l.trim());
  return `javac failed: ${lines.slice(0, 4).join(' | ').replaceAll(`${code}/`, '')}`;
}
