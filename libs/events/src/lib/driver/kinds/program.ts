import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DomainError } from '@dispatch/contracts';
import { parseCloudEvent } from '../../emission/cloud-event.js';
import { DriverProblem, type DriverContext, type RunningDriver } from './running-driver.js';

const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** A program that ran this long before exiting starts again without waiting long. */
const STEADY_MS = 30_000;
const MAX_EVENT_BYTES = 1024 * 1024;

/**
 * A driver type users add: its program (the type's `image`, an executable on this machine) runs with
 * the settings as `--key=value` arguments and the secrets' values in its environment. It emits by
 * printing one CloudEvent per line on standard output, or by POSTing them to DISPATCH_EVENTS_URL, a
 * sidecar endpoint of its own on loopback. A program that exits is started again, waiting twice as long
 * each time it exits soon after starting; meanwhile the driver is ERROR with the program's last words.
 */
export async function startProgram(context: DriverContext): Promise<RunningDriver> {
  const image = context.type?.image;
  if (!image) throw new DriverProblem('the driver type names no program (image)');
  const sidecar = await startSidecar(context);
  const args = [...context.settings].map(([key, value]) => `--${key}=${value}`);
  let child: ChildProcess | undefined;
  let stopped = false;
  let backoff = BACKOFF_START_MS;
  let restart: NodeJS.Timeout | undefined;

  const launch = () => {
    const started = Date.now();
    const lastWords: string[] = [];
    const proc = spawn(image, args, {
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        ...context.secrets,
        DISPATCH_EVENTS_URL: sidecar.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let failedToStart = false;
    proc.once('spawn', () => context.status('READY', []));
    proc.once('error', (err: NodeJS.ErrnoException) => {
      failedToStart = true;
      const why =
        err.code === 'ENOENT' ? 'no such executable' : err.code === 'EACCES' ? 'not executable' : err.message;
      again(`cannot run ${image}: ${why}`);
    });
    lines(proc.stdout, (line) => {
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
    lines(proc.stderr, (line) => {
      lastWords.push(line);
      if (lastWords.length > 3) lastWords.shift();
      context.logger.warn(`driver ${context.name}: ${line}`);
    });
    proc.once('exit', (code, signal) => {
      if (failedToStart) return;
      if (Date.now() - started >= STEADY_MS) backoff = BACKOFF_START_MS;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      again(`${image} ${how}${lastWords.length ? ` (last output: ${lastWords.join(' | ')})` : ''}`);
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
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(kill);
      }
      await new Promise((resolve) => sidecar.server.close(resolve));
    },
  };
}

async function emitChecked(context: DriverContext, body: unknown): Promise<void> {
  await context.emit(parseCloudEvent(body));
}

/** The driver's own loopback endpoint: POST a CloudEvent (JSON), get 200, or 400 saying what is wrong. */
async function startSidecar(context: DriverContext): Promise<{ server: Server; url: string }> {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
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
