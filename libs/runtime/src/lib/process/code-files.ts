import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CodeFile } from '../protocol.js';

/** The most a spare runner is sent: more, and the function starts in a runner with its code mounted. */
export const SPARE_CODE_LIMITS = { bytes: 4 * 1024 * 1024, files: 500 };

/**
 * A function's code directory as the files a spare runner writes (see RunnerProcess.adopt), or
 * undefined when it is too big for that or holds anything but directories and regular files: such a
 * function starts in a runner of its own with the directory mounted, as every runner did before spares.
 */
export async function codeFilesOf(
  codeDir: string,
  limits = SPARE_CODE_LIMITS,
): Promise<CodeFile[] | undefined> {
  const files: CodeFile[] = [];
  let bytes = 0;
  const walk = async (dir: string, prefix: string): Promise<boolean> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!(await walk(full, path))) return false;
        continue;
      }
      if (!entry.isFile() || files.length >= limits.files) return false;
      const stat = await lstat(full);
      bytes += stat.size;
      if (bytes > limits.bytes) return false;
      const content = await readFile(full);
      files.push({
        path,
        content: content.toString('base64'),
        ...(stat.mode & 0o111 ? { executable: true } : {}),
      });
    }
    return true;
  };
  try {
    return (await walk(codeDir, '')) ? files : undefined;
  } catch {
    // Unreadable here (gone with its version): the ordinary start reports what is wrong.
    return undefined;
  }
}
