import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DomainError } from '@dispatch/contracts';
import type { InitRequest, Language, RunRequest, RunResponse } from '../protocol.js';
import { RunnerConnection, RunnerFailure, type Runner } from '../runner-connection.js';
import { javaRunnerDir } from './java-runner-build.js';
import { placement, SANDBOX_PATHS, type FunctionUser, type Sandbox } from './sandbox.js';
import { executableUnder, toolchainOf } from './toolchain.js';

const RUNNERS = fileURLToPath(new URL('../../../runners/', import.meta.url));

/** Builds the java runner now rather than on the first java function (a container image does it once). */
export function prepareJavaRunner(): Promise<string> {
  return javaRunnerDir(RUNNERS);
}
const START_TIMEOUT_MS = 30_000;
/** A unix socket's path holds at most 107 bytes; a runner's is `<dir>/<language>-XXXXXX/runner.sock`. */
const MAX_SOCKETS_DIR_LENGTH = 80;

let privateSockets: string | undefined;
/**
 * Where runners' sockets go when no directory is given (or the given one's path is too long for a
 * socket): a directory of this process's own, made once, that only its user can enter. Never a
 * well-known path another instance or user could share or plant things in.
 */
function privateSocketsDir(): string {
  privateSockets ??= mkdtempSync(join(tmpdir(), 'dispatch-runners-'));
  return privateSockets;
}

/** `dir` made (if need be) as a directory only this process's user may enter. */
function socketsDirOf(dir: string | undefined): string {
  if (dir === undefined || dir.length > MAX_SOCKETS_DIR_LENGTH) return privateSocketsDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}
const READY_LINE = 'dispatch-runner-ready';

export interface RunnerOptions {
  language: Language;
  /**
   * Where the runner's socket directory goes: the data directory's `runners/` (see FunctionsConfig),
   * kept to this process's user. Without one, a private temporary directory of this process.
   */
  socketsDir?: string;
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

/**
 * One language runner process on a unix socket, speaking the runtime protocol over one connection (see
 * RunnerConnection: the pool may pipeline several calls on it).
 */
export class RunnerProcess implements Runner {
  private readonly child: ChildProcess;
  private readonly socket: string;
  private connection?: RunnerConnection;
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
        this.connection?.failAll(
          new RunnerFailure(`the function's process ${this.describeExit()}`, 'exited'),
        );
        this.connection?.close();
        rmSync(this.socketDir, { recursive: true, force: true });
        resolve();
      });
    });
  }

  /** Starts a runner and resolves once it listens. */
  static async start(options: RunnerOptions): Promise<RunnerProcess> {
    // A directory per runner: in a sandbox it is the one host directory the process may write to.
    const socketDir = mkdtempSync(join(socketsDirOf(options.socketsDir), `${options.language}-`));
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
      const socket = connect(this.socket);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve();
      });
      socket.once('error', reject);
      // A call past its deadline or an unreadable answer: the process cannot be trusted with more.
      this.connection = new RunnerConnection(socket, (failure) => {
        if (typeof failure === 'string') this.lastOutput = [...this.lastOutput.slice(-9), failure];
        void this.kill();
      });
    });
  }

  get inFlight(): number {
    return this.connection?.inFlight ?? 0;
  }

  get expectedWaitMs(): number {
    return this.connection?.expectedWaitMs ?? 0;
  }

  private call(method: 'init' | 'run', params: unknown, timeoutMs: number) {
    const connection = this.connection;
    if (!this.alive || !connection) {
      return Promise.reject(new RunnerFailure(`the function's process ${this.describeExit()}`, 'displaced'));
    }
    return connection.call(method, params, timeoutMs);
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
