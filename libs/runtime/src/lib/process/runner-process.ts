import type { ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  SANDBOX_SETUP_ATTEMPTS,
  sandboxSetupFailed,
  type Mount,
  type SandboxedProcess,
  type UnconfinedProcess,
} from '@dispatch/sandbox';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DomainError } from '@dispatch/contracts';
import type { CodeFile, InitRequest, Language, RunRequest, RunResponse } from '../protocol.js';
import { RunnerConnection, RunnerFailure, type Runner } from '../runner-connection.js';
import {
  command,
  functionOf,
  mountsOf,
  nodeTrustEnv,
  RUNNER_PATHS,
  RUNNER_PROCESSES,
  RUNTIME_OVERHEAD_MB,
  SPARE_CODE_MB,
  socketsDirOf,
  type RunnerOptions,
} from './runner-launch.js';
import type { Toolchain } from './toolchain.js';

const START_TIMEOUT_MS = 30_000;
const READY_LINE = 'dispatch-runner-ready';

/**
 * One language runner process on a unix socket, speaking the runtime protocol over one connection (see
 * RunnerConnection: the pool may pipeline several calls on it). It runs in a sandbox of its own (see
 * @dispatch/sandbox): the function's user, namespaces, a root of the base system, its runner,
 * interpreter, code and dependencies read-only, its socket directory, and a way out to the network
 * that does not reach the host's loopback.
 */
/** The runner's sandbox failed while being made; its program never ran. */
class SandboxSetupFailure extends DomainError {}

export class RunnerProcess implements Runner {
  private readonly process: SandboxedProcess | UnconfinedProcess;
  private readonly child: ChildProcess;
  private readonly socket: string;
  private connection?: RunnerConnection;
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exited: Promise<void>;
  private lastOutput: string[] = [];
  private firstOutput?: string;
  /** A spare that has been given its function: it never takes another. */
  private adopted = false;

  /** Until the runner is up: takes its announcement, from fd 3 or (the JVM) a stdout line. */
  private announce?: () => void;

  private constructor(
    private readonly options: RunnerOptions,
    private readonly socketDir: string,
    { mounts, toolchain }: { mounts: Mount[]; toolchain: Toolchain },
  ) {
    this.socket = join(socketDir, 'runner.sock');
    const { sandbox, language, memoryMb } = options;
    // Paths as the runner sees them: under the sandbox's mounts, or the host's own when unconfined.
    const at = (target: string) => sandbox.pathOf(mounts.find((m) => m.target === target) as Mount);
    const executable = toolchain.executable;
    const home = at(RUNNER_PATHS.runner);
    const runner = command(language, memoryMb, executable, { runners: home, java: home });
    this.process = sandbox.spawn({
      command: runner.file,
      args: runner.args,
      mounts,
      env: {
        ...(language === 'nodejs' ? nodeTrustEnv() : {}),
        DISPATCH_RUNNER_SOCKET: join(at(RUNNER_PATHS.socket), 'runner.sock'),
        DISPATCH_RUNNER_MEMORY_MB: String(memoryMb),
      },
      network: true,
      // The runner loads the function's code only at its init call, after `started`: the code finds its
      // network there, and the runner boots meanwhile.
      bootsBeforeNetwork: true,
      uid: functionOf(options)?.uid,
      // A spare becomes its function's user at init, after writing its code here.
      switchesUser: !functionOf(options),
      scratch: functionOf(options) ? [] : [{ target: RUNNER_PATHS.code, sizeMb: SPARE_CODE_MB }],
      limits: { memoryMb: memoryMb + RUNTIME_OVERHEAD_MB[language], processes: RUNNER_PROCESSES },
      // stdin: a pipe never written, whose end tells the runner its host is gone (even killed -9).
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.child = this.process.child;
    for (const stream of [this.child.stdout, this.child.stderr]) this.forward(stream);
    this.exited = new Promise((resolve) => {
      void this.process.exited.then(({ code, signal }) => {
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
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await RunnerProcess.startOnce(options);
      } catch (err) {
        if (!(err instanceof SandboxSetupFailure) || attempt >= SANDBOX_SETUP_ATTEMPTS) throw err;
      }
    }
  }

  private static async startOnce(options: RunnerOptions): Promise<RunnerProcess> {
    // A directory per runner: the one host directory its sandbox may write to.
    const socketDir = mkdtempSync(join(socketsDirOf(options.socketsDir), `${options.language}-`));
    // A spare starts as root (see switchesUser) and listens before it becomes its function's user.
    const fn = functionOf(options);
    if (options.sandbox.privileged && fn) chownSync(socketDir, fn.uid, fn.uid);
    const runner = new RunnerProcess(options, socketDir, await mountsOf(options, socketDir));
    try {
      await runner.process.started;
    } catch (err) {
      await runner.kill();
      throw new DomainError(
        'UNAVAILABLE',
        `the ${options.language} runner did not start: ${(err as Error).message}`,
      );
    }
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

  /** Loads the function's code; a bad handler is INVALID_ARGUMENT with the runner's reason. */
  async load(init: InitRequest, timeoutMs = 30_000): Promise<void> {
    const { sandbox } = this.options;
    const fn = functionOf(this.options);
    if (!fn) throw new Error('a spare runner is given its function with adopt');
    const request: InitRequest = {
      ...init,
      codeDir: sandbox.pathOf({ source: fn.codeDir, target: RUNNER_PATHS.code }),
      dependenciesDir: fn.dependenciesDir
        ? sandbox.pathOf({ source: fn.dependenciesDir, target: RUNNER_PATHS.dependencies })
        : undefined,
    };
    const response = await this.call('init', request, timeoutMs);
    if ('error' in response) throw new DomainError('INVALID_ARGUMENT', response.error.message);
  }

  /**
   * A spare takes its function, once: the code is written into its sandbox's scratch directory, then
   * (as root) it becomes the function's user and loads the handler. A bad handler is INVALID_ARGUMENT
   * with the runner's reason, as with load.
   */
  async adopt(
    fn: { files: CodeFile[]; uid: number },
    init: Pick<InitRequest, 'handler'>,
    timeoutMs = 30_000,
  ): Promise<void> {
    if (functionOf(this.options) || this.adopted)
      throw new Error('only an unused spare runner takes a function');
    this.adopted = true;
    const request: InitRequest = {
      handler: init.handler,
      codeDir: RUNNER_PATHS.code,
      dependenciesDir: this.options.function.dependenciesDir ? RUNNER_PATHS.dependencies : undefined,
      files: fn.files,
      user: this.options.sandbox.privileged ? fn.uid : undefined,
    };
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
    this.process.kill();
    await this.exited;
  }

  /** Whether the kernel ended it for want of memory (its cgroup's limit). */
  ranOutOfMemory(): boolean {
    return this.process.ranOutOfMemory();
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
      // Its last words are read before it is judged (the exit can come before its output).
      void this.exited
        .then(() => finished(this.child.stderr as Readable).catch(() => undefined))
        .then(() => {
          clearTimeout(timer);
          const why = `the ${this.options.language} runner did not start: ${this.describeExit()}`;
          reject(
            sandboxSetupFailed(this.firstOutput)
              ? new SandboxSetupFailure('UNAVAILABLE', why)
              : new DomainError('UNAVAILABLE', why),
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
        this.firstOutput ??= line;
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
