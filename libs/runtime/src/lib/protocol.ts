/**
 * The runtime protocol: how Dispatch talks to a language runner, the same over a local process's unix
 * socket and a container's TCP port. JSON-RPC 2.0 over a stream, one message per line (newline-delimited
 * JSON: a JSON text never holds a raw newline), in the spirit of OpenWhisk's action proxy:
 *
 * - `{"jsonrpc":"2.0","id":1,"method":"init","params":InitRequest}`: load the function's code once (a
 *   generic runner waits for this, so a cold start skips process start-up). The result is `{}`, or an
 *   error whose message says why the handler cannot be loaded.
 * - `{"jsonrpc":"2.0","id":2,"method":"run","params":RunRequest}`: one invocation. The result is a
 *   `RunResponse`: a function's failure is data (`context.error`), not a protocol error.
 *
 * - While a run whose request says `streamLogs` runs, the runner also sends what the function prints, as
 *   it prints it (within the run's log limit), as notifications before the answer:
 *   `{"jsonrpc":"2.0","method":"log","params":{"stream":"stdout","text":"..."}}`. The answer still
 *   holds the whole of the run's logs. A runner that does not stream (java) sends them at the end only.
 *
 * A runner handles one invocation at a time, answering in order; concurrency comes from more runners.
 * Plain lines instead of HTTP because the hop is on every call: a line each way is the least a
 * round trip can cost, which at small payloads doubles the calls a runner serves.
 */
export type ErrorType = 'InputError' | 'FunctionError' | 'SystemError';

export interface FunctionError {
  type: ErrorType;
  message: string;
  stacktrace?: string[];
}

export interface Logs {
  stdout: string[];
  stderr: string[];
  /** Set when the run printed more than its log limit: the rest was dropped (see LOG_TRUNCATED). */
  truncated?: boolean;
}

/** The log a run keeps unless the host says otherwise: about a megabyte, stdout and stderr together. */
export const DEFAULT_LOG_LIMIT_BYTES = 1024 * 1024;

/** The line that ends a stream whose output was cut at the limit. */
export const logTruncatedLine = (limitBytes: number) =>
  `[truncated: the run printed more than ${limitBytes} bytes; the rest was dropped]`;

/**
 * The largest answer a runner may send for one call (its output and logs): past it the call fails
 * and the runner is replaced, so no function can make its host hold an unbounded line in memory.
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface InitRequest {
  /** Absolute path of the function's code directory. */
  codeDir: string;
  /** nodejs: a file (`./hello.js`), python3: `module.function` (`hello.handle`). */
  handler: string;
  /**
   * The image's build directory, whose dependencies the function may load: `node_modules` (nodejs),
   * the venv's site-packages (python3).
   */
  dependenciesDir?: string;
  /**
   * A spare runner's (started before its function was known, see SpareRunners): the function's code,
   * which it writes into `codeDir` (its sandbox's empty scratch directory) before loading it.
   */
  files?: CodeFile[];
  /**
   * A spare runner's, as root: the function's own user, which it becomes (group, then user, no
   * supplementary groups) once the code is written and before any of it runs, for good.
   */
  user?: number;
}

/** One file of a function's code, as a spare runner receives it. */
export interface CodeFile {
  /** Relative to the code directory, `/`-separated, without `.` or `..` parts. */
  path: string;
  /** base64. */
  content: string;
  executable?: boolean;
}

export interface RunRequest {
  /** Handed to the function as its first argument, with `logs` and `error` left to the runner. */
  context: Record<string, unknown>;
  payload: unknown;
  /**
   * How long the run may take, for a runner its host cannot stop (a pod): past it the runner exits, as
   * a local runner's host kills it, and the runner is replaced. A local host leaves it out.
   */
  deadlineMs?: number;
  /**
   * How much of what the function prints (stdout and stderr together) the run keeps; the runner drops
   * the rest and marks the logs truncated. DEFAULT_LOG_LIMIT_BYTES when absent.
   */
  logLimitBytes?: number;
  /** Send what the function prints as it prints it (`log` notifications); set when onLog is. */
  streamLogs?: boolean;
  /**
   * The host's own (a function: JSON leaves it out, so it never reaches a runner): told each piece of
   * output a streaming runner sends during the run, within the run's log limit.
   */
  onLog?: LogListener;
}

export type LogStream = 'stdout' | 'stderr';
export type LogListener = (stream: LogStream, text: string) => void;

/** A `log` notification's params, as a runner sends them. */
export interface LogNotice {
  stream: LogStream;
  text: string;
}

export interface RunResponse {
  context: {
    logs: Logs;
    error: FunctionError | null;
    /**
     * How long the function itself took, as the runner measured it: what the host's pool expects the
     * next call to take, free of the time the process waited for a CPU or the host for the answer.
     */
    durationMs?: number;
  };
  payload: unknown;
  /** Set by the host's pool, never by a runner: the call ran out of its time (a SystemError). */
  timedOut?: boolean;
}

export const LANGUAGES = ['nodejs', 'python3', 'java'] as const;
export type Language = (typeof LANGUAGES)[number];

/** A JSON-RPC 2.0 request line from the host. */
export interface RpcRequest {
  jsonrpc: '2.0';
  id: number;
  method: 'init' | 'run';
  params: InitRequest | RunRequest;
}

/** A JSON-RPC 2.0 response line from the runner. */
export type RpcResponse =
  | { jsonrpc: '2.0'; id: number; result: unknown }
  | { jsonrpc: '2.0'; id: number | null; error: { code: number; message: string } };

/** JSON-RPC's reserved codes the runners use, and one of our own for a handler that cannot load. */
export const RPC_ERRORS = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  initFailed: 1,
} as const;
