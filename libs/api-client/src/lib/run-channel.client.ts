import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import {
  errorCodeOfStatus,
  httpStatusOf,
  isErrorCode,
  lineWriter,
  onLines,
  RUN_CHANNEL_MAX_LINE,
  RUN_CHANNEL_PATH,
  RUN_CHANNEL_PROTOCOL,
  type InvocationRequest,
  type Run,
  type RunChannelCall,
  type RunChannelLine,
} from '@dispatch/contracts';
import { context, propagation } from '@opentelemetry/api';
import { ApiError, SERVICE_RETRY } from './dispatch-client.js';

export interface RunChannelOptions {
  /** Connections kept: calls go round them, and a load balancer spreads them over the replicas. */
  connections?: number;
  /**
   * How long a connection is used for new calls before another replaces it, so replicas that came up
   * since get their share (as gRPC's max connection age does). Default 30 s.
   */
  maxAgeMs?: number;
  /** How long a call may wait for its answer: the longest run and some. Default 30 min. */
  timeoutMs?: number;
  /** The id of the call a run is part of (the caller's own caller's), sent with it. */
  requestId?: () => string | undefined;
}

/**
 * The caller's side of the run channel (contracts' run-channel.ts) to one functions service: a few
 * upgraded connections, opened when first needed and again when one is lost, retired when they age,
 * when the server says it is stopping, or when the service's credential is renewed.
 */
export class RunChannelClient {
  private readonly slots: (Promise<ChannelConnection> | undefined)[];
  private next = 0;
  private closed = false;

  constructor(
    private readonly baseUrl: string,
    /** This service's own credential, current on each call. */
    private readonly token: () => string | undefined,
    private readonly options: RunChannelOptions = {},
  ) {
    this.slots = new Array<Promise<ChannelConnection> | undefined>(options.connections ?? 4).fill(undefined);
  }

  async run(scope: { org: string; project: string }, request: InvocationRequest): Promise<Run> {
    const slot = this.next;
    this.next = (this.next + 1) % this.slots.length;
    const connection = await this.connection(slot);
    const requestId = this.options.requestId?.();
    const call: Omit<RunChannelCall, 'id'> = { org: scope.org, project: scope.project, request };
    if (requestId) call.requestId = requestId;
    // The trace context, when this process traces (a no-op otherwise).
    propagation.inject(context.active(), call);
    return connection.call(call);
  }

  /** Ends every connection; calls in flight fail. */
  close(): void {
    this.closed = true;
    this.slots.forEach((slot, i) => {
      void slot?.then(
        (c) => c.destroy(),
        () => undefined,
      );
      this.slots[i] = undefined;
    });
  }

  private async connection(slot: number): Promise<ChannelConnection> {
    const token = this.token();
    const current = this.slots[slot];
    if (current) {
      const connection = await current.catch(() => undefined);
      if (connection?.usable(token)) return connection;
      if (this.slots[slot] === current) this.slots[slot] = undefined;
      connection?.retire();
    }
    if (this.closed) throw new ApiError(0, 'UNAVAILABLE', 'the run channel is closed');
    let opening = this.slots[slot];
    if (!opening) {
      opening = this.open(token);
      this.slots[slot] = opening;
      // A failed opening is not kept: the next call tries again.
      opening.catch(() => {
        if (this.slots[slot] === opening) this.slots[slot] = undefined;
      });
    }
    return opening;
  }

  /** An upgraded connection, retrying a refused connection as a restarting replica gives one. */
  private async open(token: string | undefined): Promise<ChannelConnection> {
    const { attempts, backoffMs } = SERVICE_RETRY;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const socket = await this.upgrade(token);
        return new ChannelConnection(socket, token, Date.now() + (this.options.maxAgeMs ?? 30_000), {
          baseUrl: this.baseUrl,
          timeoutMs: this.options.timeoutMs ?? 30 * 60_000,
        });
      } catch (err) {
        const retry = (err as NodeJS.ErrnoException).code === 'ECONNREFUSED' && attempt < attempts;
        if (!retry) throw asApiError(err, this.baseUrl);
        await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
      }
    }
  }

  private upgrade(token: string | undefined): Promise<Socket> {
    const url = new URL(RUN_CHANNEL_PATH, this.baseUrl);
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, {
        headers: {
          connection: 'Upgrade',
          upgrade: RUN_CHANNEL_PROTOCOL,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        timeout: 10_000,
      });
      req.once('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.once('response', (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => reject(refusal(res.statusCode ?? 0, text)));
        res.on('error', reject);
      });
      req.once('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.once('error', reject);
      req.end();
    });
  }
}

interface Pending {
  resolve: (run: Run) => void;
  reject: (err: ApiError) => void;
  timer: NodeJS.Timeout;
}

/** One upgraded connection: calls out, corked per turn of the loop; answers in, matched by id. */
class ChannelConnection {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly write: (line: string) => void;
  private retired = false;

  constructor(
    private readonly socket: Socket,
    private readonly token: string | undefined,
    private readonly retireAt: number,
    private readonly settings: { baseUrl: string; timeoutMs: number },
  ) {
    socket.setNoDelay(true);
    this.write = lineWriter(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.retired = true;
      this.failAll(
        `the connection to the functions service at ${settings.baseUrl} was lost during the call; ` +
          'the run may or may not have happened (name the run to make a retry safe)',
      );
    });
    onLines(socket, (line) => this.receive(line), {
      maxLine: RUN_CHANNEL_MAX_LINE,
      onTooLong: () => socket.destroy(),
    });
  }

  /** Whether new calls may go here: alive, young enough, and opened with the current credential. */
  usable(token: string | undefined): boolean {
    return !this.retired && token === this.token && Date.now() < this.retireAt;
  }

  /** No new calls; the connection ends once the ones in flight are answered. */
  retire(): void {
    this.retired = true;
    if (this.pending.size === 0) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  call(call: Omit<RunChannelCall, 'id'>): Promise<Run> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new ApiError(
            504,
            'DEADLINE_EXCEEDED',
            `no answer from the functions service in ${this.settings.timeoutMs} ms`,
          ),
        );
      }, this.settings.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // Calls made in the same turn leave in one write.
      this.write(JSON.stringify({ id, ...call }));
    });
  }

  private receive(text: string): void {
    let line: RunChannelLine;
    try {
      line = JSON.parse(text) as RunChannelLine;
    } catch {
      this.socket.destroy();
      return;
    }
    if ('goaway' in line) {
      this.retire();
      return;
    }
    const pending = this.pending.get(line.id);
    if (!pending) return;
    this.pending.delete(line.id);
    clearTimeout(pending.timer);
    if ('run' in line) pending.resolve(line.run);
    else {
      const code = isErrorCode(line.error?.code) ? line.error.code : 'INTERNAL';
      pending.reject(new ApiError(httpStatusOf(code), code, String(line.error?.message)));
    }
    if (this.retired && this.pending.size === 0) this.socket.end();
  }

  private failAll(message: string): void {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new ApiError(0, 'UNAVAILABLE', message));
    }
    this.pending.clear();
  }
}

/** The server answered the upgrade with an HTTP answer: no channel (yet), or not for this credential. */
export class RunChannelRefused extends ApiError {}

/** The answer the server gave in place of the upgrade, as the API's error it carries. */
function refusal(status: number, text: string): RunChannelRefused {
  try {
    const { errorCode, message } = JSON.parse(text) as { errorCode?: unknown; message?: unknown };
    if (typeof message === 'string')
      return new RunChannelRefused(
        status,
        isErrorCode(errorCode) ? errorCode : errorCodeOfStatus(status),
        message,
      );
  } catch {
    // Not the API's error body: the status says what there is to say.
  }
  return new RunChannelRefused(
    status,
    errorCodeOfStatus(status),
    `HTTP ${status} in place of the run channel`,
  );
}

function asApiError(err: unknown, baseUrl: string): ApiError {
  if (err instanceof ApiError) return err;
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new ApiError(0, 'UNAVAILABLE', `cannot reach the functions service at ${baseUrl} (${reason})`);
}
