import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Language } from '../protocol.js';

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
 * compiled with javac into `classes/`, against the jars its image's Maven build resolved. The outcome
 * is undefined when it worked, else the compiler's complaint.
 */
export async function compileFunction(
  language: Language,
  codeDir: string,
  dependenciesDir?: string,
): Promise<string | undefined> {
  if (language !== 'java') return undefined;
  const sources = await javaSources(codeDir);
  if (sources.length === 0) return 'the source has no .java file';
  const classpath = dependenciesDir ? join(dependenciesDir, 'lib', '*') : '';
  return new Promise((resolve) => {
    execFile(
      'javac',
      [
        '-nowarn',
        // Annotation processors are code from the image's jars, and javac runs as Dispatch, not sandboxed.
        '-proc:none',
        '-encoding',
        'UTF-8',
        '-d',
        join(codeDir, 'classes'),
        ...(classpath ? ['-cp', classpath] : []),
        ...sources,
      ],
      { timeout: 5 * 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve(undefined);
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          return resolve('javac is not installed on this host');
        const lines = `${stdout}${stderr}`.split('\n').filter((l) => l.trim());
        resolve(`javac failed: ${lines.slice(0, 4).join(' | ').replaceAll(`${codeDir}/`, '')}`);
      },
    );
  });
}
