import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT, start, waitForHttp } from './processes.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A solo Dispatch on a throwaway data directory, driven through the dispatch CLI as a user would. */
export interface SoloSession {
  port: number;
  work: string;
  dataDir: string;
  /** Runs the dispatch CLI in the work directory, optionally feeding standard input. */
  dispatch(args: string[], stdin?: string): Promise<CliResult>;
  /** Writes a file into the work directory and gives its path. */
  write(name: string, text: string): string;
  stop(): Promise<void>;
}

export async function startSoloSession(name: string, extraArgs: string[] = []): Promise<SoloSession> {
  const work = mkdtempSync(join(tmpdir(), `dispatch-${name}-`));
  const dataDir = join(work, 'data');
  const port = await freePort();
  const solo = start(process.execPath, [
    join(ROOT, 'apps/solo/dist/main.js'),
    '--port',
    String(port),
    '--data-dir',
    dataDir,
    ...extraArgs,
  ]);
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, solo);
  return {
    port,
    work,
    dataDir,
    dispatch: (args, stdin) =>
      new Promise((resolve) => {
        const child = spawn(
          process.execPath,
          [join(ROOT, 'apps/cli/bin/dispatch.js'), '--port', String(port), ...args],
          { cwd: work, env: { ...process.env, DISPATCH_CONFIG: join(work, 'no-config.json') } },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(stdin ?? '');
      }),
    write: (file, text) => {
      writeFileSync(join(work, file), text);
      return join(work, file);
    },
    stop: async () => {
      await solo.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
