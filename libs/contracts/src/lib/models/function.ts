import type { ApiModel } from './api-model.js';

export const FUNCTION_KIND = 'function';

export interface FunctionSchema {
  in?: Record<string, unknown>;
  out?: Record<string, unknown>;
}

export interface FunctionSpec {
  image: string;
  /** nodejs `./hello.js`, python3 `hello.handle`, java a class name; inferred for a single-file source. */
  handler?: string;
  /** The URL of the image its READY version runs on, set by the platform (the original CLIs show it). */
  functionImageURL?: string;
  /** The code: a gzipped tar archive, base64-encoded, as the upstream CLI sends it. */
  source?: string;
  schema?: FunctionSchema;
  /** Secrets merged into `context.secrets` on every run. */
  secrets?: string[];
  /** Milliseconds a run may take before it is cut off. */
  timeout?: number;
  /** Where the prepared function lives, filled by the function reconciler. */
  backingObject?: {
    key: string;
    codeDir: string;
    handler: string;
    language: string;
    dependenciesDir?: string;
    /** The host user the function's processes run as, the same across its versions. */
    uid?: number;
  };
}

/** What the API shows of a function: neither the source archive (large) nor where it lives on the host. */
export type DispatchFunction = ApiModel<Omit<FunctionSpec, 'source' | 'backingObject'>>;

export type ErrorType = 'InputError' | 'FunctionError' | 'SystemError';

export interface InvocationError {
  type: ErrorType;
  message: string;
  stacktrace?: string[];
}

export interface RunLogs {
  stdout: string[];
  stderr: string[];
  /** Set when the run printed more than a run keeps (DISPATCH_RUN_LOG_LIMIT): the rest was dropped. */
  truncated?: boolean;
}

/**
 * A minute of a function's activity (`GET /v1/function/{name}/activity`): its runs, those that failed,
 * cold starts, and the median and 99th percentile of its durations (null: no run that minute).
 */
export interface ActivityPoint {
  /** The minute's start, milliseconds since the epoch. */
  time: number;
  runs: number;
  errors: number;
  coldStarts: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** `GET /v1/function/{name}/source`: the code as it was given, a base64 gzipped tar. */
export interface FunctionSourceAnswer {
  functionName: string;
  source: string;
}

/** A function's last hour, a point a minute, oldest first. */
export interface FunctionActivityAnswer {
  functionName: string;
  stepSeconds: number;
  points: ActivityPoint[];
}

/**
 * A piece of a run's output as it was printed, before the run ends: a `log` event of
 * `GET /v1/runs?follow=true&logs=true`. The run's own event, when it ends, holds the whole of its logs.
 */
export interface PrintedLog {
  functionName: string;
  /** The run's name. */
  run: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface Run {
  name: string;
  functionName: string;
  functionId: string;
  blocking: boolean;
  input: unknown;
  output: unknown;
  error: InvocationError | null;
  logs: RunLogs;
  event?: Record<string, unknown>;
  httpContext?: Record<string, unknown>;
  secrets: string[];
  status: 'INITIALIZED' | 'READY' | 'ERROR';
  reason: string[];
  tags: { key: string; value: string }[];
  /** Unix seconds, as the upstream models. */
  executedTime: number;
  finishedTime: number;
  durationMs: number;
}
