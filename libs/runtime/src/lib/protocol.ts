/**
 * The runtime protocol: how Dispatch talks to a language runner, the same over a local process's unix
 * socket and a container's TCP port. Two calls, in the spirit of OpenWhisk's action proxy:
 *
 * - `POST /init` with `InitRequest`: load the function's code once (a generic runner waits for this,
 *   so a cold start skips process start-up). Answers 200, or 4xx with `{error}` if the handler cannot
 *   be loaded.
 * - `POST /run` with `RunRequest`: one invocation. Answers `RunResponse`, always 200: a function's
 *   failure is data (`error`), not a transport error.
 *
 * A runner handles one invocation at a time; concurrency comes from more runners.
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
}

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
}

export interface RunRequest {
  /** Handed to the function as its first argument, with `logs` and `error` left to the runner. */
  context: Record<string, unknown>;
  payload: unknown;
}

export interface RunResponse {
  context: { logs: Logs; error: FunctionError | null };
  payload: unknown;
}

export const LANGUAGES = ['nodejs', 'python3', 'java'] as const;
export type Language = (typeof LANGUAGES)[number];
