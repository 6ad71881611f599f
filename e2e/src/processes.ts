import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: e2e tests run what a user runs, from the built apps. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A free port whose next one is free too (a server that takes two: Kafka's controller, etcd's peers). */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const nextFree = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port + 1, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (nextFree) return port;
  }
}

export interface Started {
  child: ChildProcess;
  output: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop: () => Promise<number | null>;
  exited: Promise<number | null>;
}

/** How long a test waits for a process to stop after SIGTERM before killing it (hooks get 30 s). */
const STOP_GRACE_MS = 20_000;

export function start(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Started {
  // Its own process group, so stopping it also stops whatever it started (npm start runs node).
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        // As a supervisor would: a process still there long after SIGTERM is killed, and says so.
        const pid = child.pid;
        const kill = setTimeout(() => {
          output += `\n[e2e] ${command} did not stop within ${STOP_GRACE_MS} ms of SIGTERM: killed\n`;
          console.warn(
            `${command} ${args.join(' ')} did not stop within ${STOP_GRACE_MS} ms of SIGTERM: killed`,
          );
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }, STOP_GRACE_MS);
        void exited.then(() => clearTimeout(kill));
      }
      return exited;
    },
  };
}

/** Polls a URL until it answers `status`, or fails with what the process printed. */
export async function waitForHttp(
  url: string,
  proc: Started,
  status = 200,
  timeoutMs = 30_000,
): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null)
      throw new Error(`process exited (${proc.child.exitCode}):\n${proc.output()}`);
    try {
      const res = await fetch(url);
      if (res.status === status) return res;
      last = `HTTP ${res.status}: ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer ${status} in time (last: ${last}):\n${proc.output()}`);
}

export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
