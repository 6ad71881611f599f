import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemTrustStore, type Mount, type Sandbox, type Unconfined } from '@dispatch/sandbox';
import type { Language } from '../protocol.js';
import { javaRunnerDir } from './java-runner-build.js';
import { toolchainOf, type Toolchain } from './toolchain.js';

// How a runner is launched: its settings, command line, mounts and socket directory. RunnerProcess
// (runner-process.ts) starts one from these and speaks to it.

const RUNNERS = fileURLToPath(new URL('../../../runners/', import.meta.url));

/** Builds the java runner now rather than on the first java function (a container image does it once). */
export function prepareJavaRunner(): Promise<string> {
  return javaRunnerDir(RUNNERS);
}
/** A unix socket's path holds at most 107 bytes; a runner's is `<dir>/<language>-XXXXXX/runner.sock`. */
const MAX_SOCKETS_DIR_LENGTH = 80;

let privateSockets: string | undefined;
/**
 * Where runners' sockets go when no directory is given (or the given one's path is too long for a
 * socket): a directory of this process's own, made once, that only its user can enter. Never a
 * well-known path another instance or user could share or plant things in.
 */
export function privateSocketsDir(): string {
  privateSockets ??= mkdtempSync(join(tmpdir(), 'dispatch-runners-'));
  return privateSockets;
}

/** `dir` made (if need be) as a directory only this process's user may enter. */
export function socketsDirOf(dir: string | undefined): string {
  if (dir === undefined || dir.length > MAX_SOCKETS_DIR_LENGTH) return privateSocketsDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

export interface RunnerOptions {
  language: Language;
  /** Memory of the runner (a cgroup, or rlimits, hold it; the runtime's own heap cap sits within). */
  memoryMb: number;
  /** Called with what the process prints outside of a run (start-up noise, a crash's last words). */
  onOutput?: (line: string) => void;
  /** Where tenants' code runs: a sandbox, or (by the operator's opt-out only) the host itself. */
  sandbox: Sandbox | Unconfined;
  /**
   * The function it serves: its code, its image's dependencies, and (as root) its own user. Or a spare:
   * started before its function is known, with only the dependencies of the image its function will
   * have, and given the function later (see adopt).
   */
  function: { codeDir: string; dependenciesDir?: string; uid: number } | SpareOf;
  /**
   * Where the runner's socket directory goes: the data directory's `runners/` (see FunctionsConfig),
   * kept to this process's user. Without one, a private temporary directory of this process.
   */
  socketsDir?: string;
}

/** What a spare runner is started for: an image's dependencies, if it has any. */
export interface SpareOf {
  spare: true;
  dependenciesDir?: string;
}

/** The function a runner was started for, or undefined for a spare. */
export const functionOf = (options: RunnerOptions) =>
  'spare' in options.function ? undefined : options.function;

/**
 * Where a runner's world is mounted inside its sandbox. Its interpreter keeps its own host path (an
 * interpreter built with an absolute library path, as pyenv's are, finds its libraries only there).
 */
export const RUNNER_PATHS = {
  runner: '/mnt/runner',
  socket: '/mnt/socket',
  code: '/mnt/function',
  dependencies: '/mnt/deps',
} as const;

/** What the runtime itself needs beyond the function's memory setting (the interpreter, its threads). */
export const RUNTIME_OVERHEAD_MB: Record<Language, number> = { nodejs: 64, python3: 32, java: 160 };
/** The scratch directory a spare runner writes its function's code into (see SpareRunners). */
export const SPARE_CODE_MB = 16;
/** Processes and threads a runner may have: the JVM alone starts a few dozen threads. */
export const RUNNER_PROCESSES = 128;

/**
 * What a node runner trusts: the system's certificate store (where an operator's CA is installed), read
 * when a function first opens a TLS connection. `NODE_EXTRA_CA_CERTS`, which a host may set for the
 * same store, is emptied for runners: node parses that file at every start, 40 ms of each cold start.
 */
const NODE_TRUST = systemTrustStore();
export const nodeTrustEnv = (): Record<string, string> =>
  NODE_TRUST ? { ...NODE_TRUST, NODE_EXTRA_CA_CERTS: '' } : {};

/** The command line of a runner whose files are in `home`, with the interpreter as the process sees it. */
export function command(
  language: Language,
  memoryMb: number,
  executable: string,
  home: { runners: string; java: string },
): { file: string; args: string[] } {
  switch (language) {
    case 'nodejs':
      return {
        file: executable,
        args: [
          `--max-old-space-size=${memoryMb}`,
          // The system's CA store, read at the first TLS connection (see nodeTrust).
          ...(NODE_TRUST ? ['--use-openssl-ca'] : []),
          join(home.runners, 'nodejs', 'runner.mjs'),
        ],
      };
    case 'python3':
      return {
        file: executable,
        // -I: no PYTHON* variables, user site or script directory; -S: no `site` at start, which costs
        // an interpreter with many packages some 30 ms. A function sees the standard library and its
        // image's venv, which the runner adds itself (site.addsitedir).
        args: ['-u', '-I', '-S', join(home.runners, 'python3', 'runner.py')],
      };
    case 'java':
      return {
        file: executable,
        args: [
          `-Xmx${memoryMb}m`,
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          '-XX:-UsePerfData',
          '-Xshare:auto',
          // A function's user has no home of its own; /tmp is its own.
          '-Duser.home=/tmp',
          '-cp',
          `${join(home.java, 'dispatch-java-runner.jar')}:${join(home.java, 'lib', '*')}`,
          'io.dispatch.runner.Runner',
        ],
      };
  }
}

/** The mounts of a runner's sandbox: its runner code, interpreter and socket, the function's files. */
export async function mountsOf(
  options: RunnerOptions,
  socketDir: string,
): Promise<{ mounts: Mount[]; toolchain: Toolchain }> {
  const toolchain = await toolchainOf(options.language);
  const runnerDir = options.language === 'java' ? await javaRunnerDir(RUNNERS) : RUNNERS;
  const fn = functionOf(options);
  const dependencies = options.function.dependenciesDir;
  const mounts = [
    { source: runnerDir, target: RUNNER_PATHS.runner },
    { source: toolchain.prefix, target: toolchain.prefix },
    { source: socketDir, target: RUNNER_PATHS.socket, writable: true },
    ...(fn ? [{ source: fn.codeDir, target: RUNNER_PATHS.code }] : []),
    ...(dependencies ? [{ source: dependencies, target: RUNNER_PATHS.dependencies }] : []),
  ];
  return { mounts, toolchain };
}
