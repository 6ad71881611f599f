import type { ErrorCode } from './errors.js';
import type { InvocationRequest } from './models/invocation.js';
import type { Run } from './models/function.js';

/**
 * The run channel: how Dispatch's own services (the gateway, events) run functions in the distributed
 * shape. A `POST /v1/runs` per call cost each side a full HTTP exchange and the framework's request
 * pipeline, and most of the gateway's time went to it. On the channel a caller upgrades one HTTP/1.1
 * connection once (`GET /v1/runs/channel`, `Upgrade: dispatch-runs/1`, its credential, proven then),
 * then sends calls as lines of JSON and reads answers as lines of JSON, matched by id, in any order.
 * Calls made in the same turn of the event loop leave in one write, and so do answers.
 *
 * Each call is decided as `POST /v1/runs` would be: the connection's credential, the policies of the
 * call's org, the same request schema.
 */
export const RUN_CHANNEL_PATH = '/v1/runs/channel';
export const RUN_CHANNEL_PROTOCOL = 'dispatch-runs/1';

/** A line holds one call or answer: the API's body limit and the envelope around it. */
export const RUN_CHANNEL_MAX_LINE = 7 * 1024 * 1024;

/** Calls a connection may have unanswered; past it the server reads no more until some are answered. */
export const RUN_CHANNEL_MAX_IN_FLIGHT = 1024;

/** A caller's line: one run, in the org and project named. */
export interface RunChannelCall {
  id: number;
  org: string;
  project: string;
  request: InvocationRequest;
  /** The id of the call this run is part of (the gateway's, say), so both sides' logs carry it. */
  requestId?: string;
  /** The caller's trace context (W3C Trace Context), when it traces: the run's spans join its trace. */
  traceparent?: string;
  tracestate?: string;
}

/**
 * A server's line: a call's answer, or `goaway` when the server is stopping (the caller sends no more
 * calls on this connection; those in flight are still answered).
 */
export type RunChannelLine =
  { id: number; run: Run } | { id: number; error: { code: ErrorCode; message: string } } | { goaway: true };
