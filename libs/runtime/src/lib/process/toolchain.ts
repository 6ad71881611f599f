import { execFile } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { DomainError } from '@dispatch/contracts';
import type { Language } from '../protocol.js';

/** A language's interpreter: its executable and the install prefix it finds its own libraries under. */
export interface Toolchain {
  executable: string;
  prefix: string;
}

const found = new Map<Language, Promise<Toolchain>>();

/**
 * Finds a language's real interpreter once. Version managers put shims on PATH (pyenv's `python3` is a
 * shell script) and keep the interpreter under a home directory; starting the interpreter itself skips
 * the shim, and knowing its prefix lets a sandbox mount it where a function's user can read it.
 */
export function toolchainOf(language: Language): Promise<Toolchain> {
  let toolchain = found.get(language);
  if (!toolchain) {
    toolchain = find(language);
    toolchain.catch(() => found.delete(language));
    found.set(language, toolchain);
  }
  return toolchain;
}

async function find(language: Language): Promise<Toolchain> {
  switch (language) {
    case 'nodejs':
      return fromBin(realpathSync(process.execPath));
    case 'java':
      return fromBin(realpathSync(onPath('java')));
    case 'python3': {
      const [executable, prefix] = await output('python3', [
        '-c',
        'import sys; print(sys.executable); print(sys.base_prefix)',
      ]);
      if (!executable || !prefix) throw new DomainError('UNAVAILABLE', 'python3 did not say where it is');
      return { executable: realpathSync(executable), prefix: realpathSync(prefix) };
    }
  }
}

/** `<prefix>/bin/<name>`, the layout of node, the JDK and most installs. */
function fromBin(executable: string): Toolchain {
  return { executable, prefix: dirname(dirname(executable)) };
}

function onPath(tool: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return join(dir, tool);
    } catch {
      // not in this one
    }
  }
  throw new DomainError('UNAVAILABLE', `${tool} is not installed on this host`);
}

function output(file: string, args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 30_000 }, (err, stdout) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new DomainError('UNAVAILABLE', missing ? `${file} is not installed on this host` : err.message),
        );
      } else resolve(stdout.trim().split('\n'));
    });
  });
}
