import { execFile } from 'node:child_process';

export interface CommandResult {
  ok: boolean;
  output: string;
}

/** Runs a build step, keeping its output so a failure's reason can quote the lines that matter. */
export function runCommand(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 10 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const output = `${stdout}\n${stderr}`.trim();
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          resolve({ ok: false, output: `${file} is not installed on this host` });
          return;
        }
        resolve({ ok: !err, output: err?.killed ? `${output}\n(timed out)` : output });
      },
    );
  });
}

/** The last few meaningful lines of a tool's output: what a person needs to act on a failure. */
export function lastLines(output: string, count = 4): string {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' | ');
}
