import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { basename, join } from 'node:path';
import { DomainError } from '@dispatch/contracts';
import type { Mount, SandboxedProcess, UnconfinedProcess } from '@dispatch/sandbox';
import { parseCloudEvent } from '../../emission/cloud-event.js';
import { allowedProgram, secretNameProblem } from './driver-programs.js';
import { DriverProblem, type DriverContext, type RunningDriver } from './running-driver.js';

const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** A program that ran this long before exiting starts again without waiting long. */
const STEADY_MS = 30_000;
const MAX_EVENT_BYTES = 1024 * 1024;

/** Where a driver program sees itself (under its own file name, which may say how to run it) and its events socket. */
const PROGRAM_DIR = '/mnt/driver';
const EVENTS = '/mnt/events';
const DRIVER_MEMORY_MB = 512;
const DRIVER_PROCESSES = 128;

/**
 * A driver type users add: its program (the type's `image`, one the operator installed in the
 * driver-programs directory) runs in the tenant sandbox as the driver's own user, with the settings as
 * `--key=value` arguments and the secrets' values in its environment (never under a name that changes
 * how a program starts). It reaches the outside world but nothing of the host. It emits by printing
 * one CloudEvent per line on standard output, or by POSTing them over HTTP to the unix socket in
 * DISPATCH_EVENTS_SOCKET, an endpoint of its own that no other program can reach. A program that exits
 * is started again, waiting twice as long each time it exits soon after starting; meanwhile the driver
 * is ERROR with the program's last words.
 */
export async function startProgram(context: DriverContext): Promise<RunningDriver> {
  const setup = context.program;
  if (!context.type?.image || !setup) throw new DriverProblem('the driver type names no program (image)');
  const program = allowedProgram(context.type.image, setup.programsDir);
  for (const name of Object.keys(context.secrets)) {
    const problem = secretNameProblem(name);
    if (problem) throw new DriverProblem(problem);
  }
  const socketDir = await mkdtemp(join(setup.socketsDir, 'driver-'));
  const sidecar = await startSidecar(context, join(socketDir, 'events.sock'));
  if (setup.sandbox.privileged) {
    await chown(socketDir, setup.uid, setup.uid);
    await chown(join(socketDir, 'events.sock'), setup.uid, setup.uid);
  }
  const mounts: Mount[] = [
    { source: program, target: join(PROGRAM_DIR, basename(program)) },
    { source: socketDir, target: EVENTS },
  ];
  const args = [...context.settings].map(([key, value]) => `--${key}=${value}`);
  let child: SandboxedProcess | UnconfinedProcess | undefined;
  let stopped = false;
  let backoff = BACKOFF_START_MS;
  let restart: NodeJS.Timeout | undefined;

  const launch = () => {
    const started = Date.now();
    const lastWords: string[] = [];
    let proc: SandboxedProcess | UnconfinedProcess;
    try {
      proc = setup.sandbox.spawn({
        command: setup.sandbox.pathOf(mounts[0] as Mount),
        args,
        mounts,
        env: {
          ...context.secrets,
          DISPATCH_EVENTS_SOCKET: join(setup.sandbox.pathOf(mounts[1] as Mount), 'events.sock'),
        },
        network: true,
        uid: setup.uid,
        limits: { memoryMb: DRIVER_MEMORY_MB, processes: DRIVER_PROCESSES },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      again(`cannot run ${context.type?.image}: ${(err as Error).message}`);
      return;
    }
    child = proc;
    let failedToStart = false;
    proc.started.then(
      () => context.status('READY', []),
      (err: Error) => {
        failedToStart = true;
        again(`cannot run ${context.type?.image}: ${err.message}`);
      },
    );
    lines(proc.child.stdout, (line) => {
      let body: unknown;
      try {
        body = JSON.parse(line);
      } catch {
        context.logger.log(`driver ${context.name}: ${line}`);
        return;
      }
      void emitChecked(context, body).catch((err: unknown) =>
        context.logger.warn(`driver ${context.name}: ${(err as Error).message}`),
      );
    });
    lines(proc.child.stderr, (line) => {
      lastWords.push(line);
      if (lastWords.length > 3) lastWords.shift();
      context.logger.warn(`driver ${context.name}: ${line}`);
    });
    void proc.exited.then(({ code, signal }) => {
      if (failedToStart) return;
      if (Date.now() - started >= STEADY_MS) backoff = BACKOFF_START_MS;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      again(
        `${context.type?.image} ${how}${lastWords.length ? ` (last output: ${lastWords.join(' | ')})` : ''}`,
      );
    });
  };

  const again = (why: string) => {
    if (stopped) return;
    context.status('ERROR', [`${why}; starting it again in ${Math.round(backoff / 1000)} s`]);
    restart = setTimeout(launch, backoff);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  };

  launch();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(restart);
      const proc = child;
      if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGTERM');
        const kill = setTimeout(() => proc.kill(), 5000);
        await proc.exited;
        clearTimeout(kill);
      }
      await new Promise((resolve) => sidecar.close(resolve));
      await rm(socketDir, { recursive: true, force: true });
    },
  };
}

async function emitChecked(context: DriverContext, body: unknown): Promise<void> {
  await context.emit(parseCloudEvent(body));
}

/** The driver's own endpoint on a unix socket: POST a CloudEvent (JSON), get 200, or 400 saying what is wrong. */
async function startSidecar(context: DriverContext, socket: string): Promise<Server> {
  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST') {
      reply(405, { code: 405, message: 'POST a CloudEvent here' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_EVENT_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_EVENT_BYTES) {
        reply(413, { code: 413, message: 'an event may be 1 MB at most' });
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        reply(400, { code: 400, message: 'the body is not JSON: send one CloudEvent' });
        return;
      }
      emitChecked(context, body).then(
        () => reply(200, { accepted: true }),
        (err: unknown) =>
          err instanceof DomainError && err.code === 'INVALID_ARGUMENT'
            ? reply(400, { code: 400, message: err.message })
            : reply(503, { code: 503, message: (err as Error).message }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return server;
}

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) onLine(line);
  });
}
