import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT, start, waitForHttp, type Started } from './processes.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A solo Dispatch on a throwaway data directory, driven through the dispatch CLI as a user would. */
export interface SoloSession {
  port: number;
  /** The gateway's base URLs, e.g. `http://127.0.0.1:40123`. */
  gateway: { http: string; https: string };
  work: string;
  dataDir: string;
  /** Runs the dispatch CLI in the work directory, optionally feeding standard input. */
  dispatch(args: string[], stdin?: string): Promise<CliResult>;
  /** Creates a nodejs base image and image named `nodejs`, without dependencies, and waits for it. */
  nodejsImage(cliArgs?: string[]): Promise<void>;
  /** Writes a file into the work directory and gives its path. */
  write(name: string, text: string): string;
  stop(): Promise<void>;
}

/** The built solo on `port` and `dataDir`, its gateway on free ports so tests never collide. */
export function startSolo(port: number, dataDir: string, extraArgs: string[] = []): Started {
  return start(process.execPath, [
    join(ROOT, 'apps/solo/dist/main.js'),
    '--port',
    String(port),
    '--data-dir',
    dataDir,
    '--gateway-port',
    '0',
    '--gateway-tls-port',
    '0',
    ...extraArgs,
  ]);
}

export async function startSoloSession(name: string, extraArgs: string[] = []): Promise<SoloSession> {
  const work = mkdtempSync(join(tmpdir(), `dispatch-${name}-`));
  const dataDir = join(work, 'data');
  const port = await freePort();
  const solo = startSolo(port, dataDir, extraArgs);
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, solo);
  // Printed just after the API starts listening, so possibly a moment after it first answers.
  let served: RegExpExecArray | null = null;
  for (let i = 0; i < 100 && !served; i += 1) {
    served = /Endpoints are served on (\S+) and (\S+)/.exec(solo.output());
    if (!served) await new Promise((r) => setTimeout(r, 50));
  }
  if (!served) throw new Error(`solo did not say where endpoints are served:\n${solo.output()}`);
  const dispatch: SoloSession['dispatch'] = (args, stdin) =>
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
    });
  return {
    port,
    gateway: { http: served[1] as string, https: served[2] as string },
    work,
    dataDir,
    dispatch,
    nodejsImage: async (cliArgs = []) => {
      await dispatch([
        ...cliArgs,
        'create',
        'base-image',
        'node-base',
        'dispatchframework/nodejs-base',
        '--language',
        'nodejs',
      ]);
      const image = await dispatch([...cliArgs, 'create', 'image', 'nodejs', 'node-base', '--wait']);
      if (image.code !== 0) throw new Error(`the nodejs image did not build: ${image.stderr}`);
    },
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
