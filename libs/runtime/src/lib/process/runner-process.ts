import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DomainError } from '@dispatch/contracts';
import type { InitRequest, Language, RpcResponse, RunRequest, RunResponse } from '../protocol.js';
import { javaRunnerDir } from './java-runner-build.js';
import { onLines } from './lines.js';
import { placement, SANDBOX_PATHS, type FunctionUser, type Sandbox } from './sandbox.js';
import { executableUnder, toolchainOf } from './toolchain.js';

const RUNNERS = fileURLToPath(new URL('../../../runners/', import.meta.url));

/** Builds the java runner now rather than on the first java function (a container image does it once). */
export function prepareJavaRunner(): Promise<string> {
  return javaRunnerDir(RUNNERS);
}
const SOCKETS = join(tmpdir(), 'dispatch-runners');
const START_TIMEOUT_MS = 30_000;
const READY_LINE = 'dispatch-runner-ready';

export interface RunnerOptions {
  language: Language;
  /** Heap (nodejs) or address space (python3) cap for the process. */
  memoryMb: number;
  /** Called with what the process prints outside of a run (start-up noise, a crash's last words). */
  onOutput?: (line: string) => void;
  /** Runs the process in a sandbox of its own (see Sandbox). */
  sandbox?: Sandbox;
  /**
   * The function to mount and the user to become before the runner starts, for a runner that cannot
   * switch users itself (java). Without it a sandboxed runner is placed when it loads a function.
   */
  placed?: { codeDir: string; dependenciesDir?: string; user: FunctionUser };
}

/** Runtimes whose runner switches to the function's user itself once placed (setuid in the runner). */
const SWITCHES_USER: ReadonlySet<Language> = new Set(['nodejs', 'python3']);

/** Whether a sandboxed runner of this language can start before it knows its function (a spare). */
export function canStartUnplaced(language: Language): boolean {
  return SWITCHES_USER.has(language);
}

/** The command line of a runner whose files are in `home`, with the interpreter as the process sees it. */
function command(
  language: Language,
  memoryMb: number,
  executable: string,
  home: { runners: string; java: string },
): { file: string; args: string[] } {
  switch (language) {
    case 'nodejs':
      return {
        file: executable,
        args: [`--max-old-space-size=${memoryMb}`, join(home.runners, 'nodejs', 'runner.mjs')],
      };
    case 'python3':
      return { file: executable, args: ['-u', join(home.runners, 'python3', 'runner.py')] };
    case 'java':
      return {
        file: executable,
        args: [
          `-Xmx${memoryMb}m`,
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          '-XX:-UsePerfData',
          '-Xshare:auto',
          // With no passwd entry for a function's user the JVM cannot find a home; /tmp is its own.
          '-Duser.home=/tmp',
          '-cp',
          `${join(home.java, 'dispatch-java-runner.jar')}:${join(home.java, 'lib', '*')}`,
          'io.dispatch.runner.Runner',
        ],
      };
  }
}

/** The runner's command line: as is, or inside a sandbox with its files and interpreter mounted. */
async function launchOf(
  options: RunnerOptions,
  socketDir: string,
): Promise<{ file: string; args: string[] }> {
  const { language, memoryMb, sandbox } = options;
  const toolchain = await toolchainOf(language);
  const javaDir = language === 'java' ? await javaRunnerDir(RUNNERS) : '';
  if (!sandbox) return command(language, memoryMb, toolchain.executable, { runners: RUNNERS, java: javaDir });
  const inside = command(language, memoryMb, executableUnder(toolchain, SANDBOX_PATHS.toolchain), {
    runners: SANDBOX_PATHS.runner,
    java: SANDBOX_PATHS.runner,
  });
  const runnerDir = language === 'java' ? javaDir : RUNNERS;
  return sandbox.launch({ runnerDir, socketDir, toolchainDir: toolchain.prefix }, inside, options.placed);
}

/** The outcome of a run the process could not give: its own crash or a deadline. */
export class RunnerFailure extends Error {
  constructor(
    message: string,
    /** `displaced`: the call never started (it was queued behind one that failed) and may go elsewhere. */
    readonly reason: 'timeout' | 'exited' | 'displaced',
  ) {
    super(message);
  }
}

interface Pending {
  id: number;
  method: 'init' | 'run';
  timeoutMs: number;
  timer?: NodeJS.Timeout;
  /** When it reached the head, in performance.now() milliseconds. */
  startedAt?: number;
  resolve: (response: RpcResponse) => void;
  reject: (err: RunnerFailure) => void;
}

/**
 * One language runner process on a unix socket, speaking the runtime protocol over one connection. The
 * runner executes one call at a time, in the order sent; the host may pipeline several on the
 * connection (the pool decides how many), so a busy runner finds its next call already there instead of
 * sleeping until it is woken for it. Each call's deadline runs from when it reaches the head.
 */
export class RunnerProcess {
  private readonly child: ChildProcess;
  private readonly socket: string;
  private connection?: Socket;
  /** Calls sent and not yet answered, in the order the runner executes them; the head is running. */
  private readonly queue: Pending[] = [];
  private corked = false;
  private nextId = 1;
  private serviceMs?: number;
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exited: Promise<void>;
  private lastOutput: string[] = [];

  /** Until the runner is up: takes its announcement, from fd 3 or (the JVM) a stdout line. */
  private announce?: () => void;

  private constructor(
    private readonly options: RunnerOptions,
    private readonly socketDir: string,
    { file, args }: { file: string; args: string[] },
  ) {
    this.socket = join(socketDir, 'runner.sock');
    this.child = spawn(file, args, {
      env: {
        PATH: process.env['PATH'],
        HOME: options.sandbox ? '/tmp' : process.env['HOME'],
        DISPATCH_RUNNER_SOCKET: options.sandbox ? join(SANDBOX_PATHS.socket, 'runner.sock') : this.socket,
        DISPATCH_RUNNER_MEMORY_MB: String(options.memoryMb),
      },
      // stdin: a pipe never written, whose end tells the runner its host is gone (even killed -9).
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) this.forward(stream);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.failAll(new RunnerFailure(`the function's process ${this.describeExit()}`, 'exited'));
        this.connection?.destroy();
        rmSync(this.socketDir, { recursive: true, force: true });
        resolve();
      });
    });
  }

  /** Starts a runner and resolves once it listens. */
  static async start(options: RunnerOptions): Promise<RunnerProcess> {
    // A directory per runner: in a sandbox it is the one host directory the process may write to.
    mkdirSync(SOCKETS, { recursive: true, mode: 0o700 });
    const socketDir = mkdtempSync(join(SOCKETS, `${options.language}-`));
    if (options.placed) chownSync(socketDir, options.placed.user.uid, options.placed.user.gid);
    const runner = new RunnerProcess(options, socketDir, await launchOf(options, socketDir));
    await runner.ready();
    await runner.connect();
    return runner;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  get language(): Language {
    return this.options.language;
  }

  /**
   * Loads the function's code, in a sandbox as `user`; a bad handler is INVALID_ARGUMENT with the
   * runner's reason.
   */
  async load(init: InitRequest, user?: FunctionUser, timeoutMs = 30_000): Promise<void> {
    const { sandbox, placed } = this.options;
    let request: InitRequest = init;
    if (sandbox && placed) {
      request = { ...init, ...placement(init.dependenciesDir, placed.user), user: undefined };
    } else if (sandbox) {
      if (!user) throw new Error('a sandboxed runner needs the function user');
      const where = await sandbox.place(this.child.pid as number, init.codeDir, init.dependenciesDir, user);
      request = { ...init, ...where };
    }
    const response = await this.call('init', request, timeoutMs);
    if ('error' in response) throw new DomainError('INVALID_ARGUMENT', response.error.message);
  }

  async run(run: RunRequest, timeoutMs: number): Promise<RunResponse> {
    const response = await this.call('run', run, timeoutMs);
    if ('error' in response)
      throw new RunnerFailure(`the runner failed: ${response.error.message}`, 'exited');
    return response.result as RunResponse;
  }

  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  private ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const announced = () => {
        clearTimeout(timer);
        resolve();
      };
      const signal = this.child.stdio[3] as Readable;
      signal.setEncoding('utf8');
      signal.once('data', announced);
      this.announce = announced;
      const timer = setTimeout(() => {
        void this.kill();
        reject(
          new DomainError(
            'UNAVAILABLE',
            `the ${this.options.language} runner did not start within ${START_TIMEOUT_MS} ms`,
          ),
        );
      }, START_TIMEOUT_MS);
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(
          new DomainError(
            'UNAVAILABLE',
            `the ${this.options.language} runner did not start: ${this.describeExit()}`,
          ),
        );
      });
    });
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const connection = connect(this.socket);
      connection.once('connect', () => {
        connection.off('error', reject);
        resolve();
      });
      connection.once('error', reject);
      // A broken connection means the process is going away; its exit settles the call in flight.
      connection.on('error', () => undefined);
      connection.setNoDelay(true);
      this.connection = connection;
      onLines(connection, (line) => this.receive(line));
    });
  }

  /** Calls sent and not yet answered. */
  get inFlight(): number {
    return this.queue.length;
  }

  /**
   * How long a new call would wait here before it starts: the calls ahead times the time the function
   * has recently taken (a moving average of what the runner reports); unknown until a call has
   * finished, so infinite.
   */
  get expectedWaitMs(): number {
    if (this.queue.length === 0) return 0;
    return this.serviceMs === undefined ? Infinity : this.queue.length * this.serviceMs;
  }

  private receive(line: string): void {
    let response: RpcResponse;
    try {
      response = JSON.parse(line) as RpcResponse;
    } catch {
      this.lastOutput = [...this.lastOutput.slice(-9), `unreadable answer: ${line.slice(0, 200)}`];
      void this.kill();
      return;
    }
    const head = this.queue[0];
    if (!head || response.id !== head.id) return;
    this.queue.shift();
    clearTimeout(head.timer);
    if (head.method === 'run') {
      const took = reportedDuration(response) ?? performance.now() - (head.startedAt ?? 0);
      this.serviceMs = this.serviceMs === undefined ? took : this.serviceMs * 0.8 + took * 0.2;
    }
    head.resolve(response);
    this.startHead();
  }

  /** The head call is running now: its deadline starts. A stuck function takes its process with it. */
  private startHead(): void {
    const head = this.queue[0];
    if (!head || head.timer) return;
    head.startedAt = performance.now();
    head.timer = setTimeout(() => {
      this.failAll(new RunnerFailure(`the function did not finish within ${head.timeoutMs} ms`, 'timeout'));
      void this.kill();
    }, head.timeoutMs);
  }

  /** Fails the running call with `err`; the ones queued behind it never ran, and may run elsewhere. */
  private failAll(err: RunnerFailure): void {
    const [head, ...rest] = this.queue.splice(0);
    for (const p of [head, ...rest]) clearTimeout(p?.timer);
    head?.reject(err);
    for (const p of rest)
      p.reject(new RunnerFailure(`displaced by a call that failed before it: ${err.message}`, 'displaced'));
  }

  private call(method: 'init' | 'run', params: unknown, timeoutMs: number): Promise<RpcResponse> {
    return new Promise((resolve, reject) => {
      const connection = this.connection;
      if (!this.alive || !connection) {
        reject(new RunnerFailure(`the function's process ${this.describeExit()}`, 'displaced'));
        return;
      }
      const id = this.nextId++;
      this.queue.push({ id, method, timeoutMs, resolve, reject });
      this.startHead();
      // Calls sent in the same turn of the event loop leave in one write: on a loaded host many requests
      // arrive in one turn, and each write wakes the runner, which costs more than the call itself.
      if (!this.corked) {
        this.corked = true;
        connection.cork();
        setImmediate(() => {
          this.corked = false;
          connection.uncork();
        });
      }
      connection.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  private forward(stream: Readable | null): void {
    if (!stream) return;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        if (this.announce && line.startsWith(READY_LINE)) {
          this.announce();
          this.announce = undefined;
          continue;
        }
        this.lastOutput = [...this.lastOutput.slice(-9), line];
        this.options.onOutput?.(line);
      }
    });
  }

  private describeExit(): string {
    const how = this.exit?.signal
      ? `was killed by ${this.exit.signal}`
      : `exited with code ${this.exit?.code}`;
    const last = this.lastOutput.length ? ` (last output: ${this.lastOutput.slice(-3).join(' | ')})` : '';
    return `${how}${last}`;
  }
}

/** The function's own time, as the runner reported it with its answer. */
function reportedDuration(response: RpcResponse): number | undefined {
  if (!('result' in response)) return undefined;
  const took = (response.result as Partial<RunResponse> | null)?.context?.durationMs;
  return typeof took === 'number' && took >= 0 ? took : undefined;
}
