import type { Run } from './function.js';

/** What the gateway (or an event subscription) asks of the functions domain: one execution. */
export interface InvocationRequest {
  functionName: string;
  input?: unknown;
  blocking?: boolean;
  secrets?: string[];
  httpContext?: Record<string, unknown>;
  event?: Record<string, unknown>;
  /**
   * The run's name (a UUID), chosen by the caller to make the call idempotent: when a run of that name
   * already finished READY, or is still running, it is answered instead of running the function again.
   */
  name?: string;
}

/**
 * Executes functions for other domains: the finished Run when blocking, the accepted one otherwise.
 * The functions domain provides it; another process reaches it over the API.
 */
export interface FunctionInvoker {
  run(scope: { org: string; project: string }, request: InvocationRequest): Promise<Run>;
}

export const FUNCTION_INVOKER = Symbol.for('dispatch.function-invoker');
