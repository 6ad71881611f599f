import type { Socket } from 'node:net';
import { lineWriter, onLines } from '@dispatch/contracts';
import {
  DEFAULT_LOG_LIMIT_BYTES,
  MAX_ANSWER_BYTES,
  type LogListener,
  type LogNotice,
  type RpcResponse,
  type RunRequest,
  type RunResponse,
} from './protocol.js';

/** The outcome of a run the runner could not give: its crash, a lost connection or a deadline. */
export class RunnerFailure extends Error {
  constructor(
    message: string,
    /** `displaced`: the call never started (it was queued behind one that failed) and may go elsewhere. */
    readonly reason: 'timeout' | 'exited' | 'displaced',
  ) {
    super(message);
  }
}

/** What a pool needs of a runner, wherever it runs: a local process or a function's pods. */
export interface Runner {
  readonly alive: boolean;
  /** Calls sent and not yet answered. */
  readonly inFlight: number;
  /** How long a new call would wait here before it starts (Infinity while unknown). */
  readonly expectedWaitMs: number;
  run(run: RunRequest, timeoutMs: number): Promise<RunResponse>;
  kill(): Promise<void>;
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
  /** A run's listener for its output as it is printed, and how much more of it may be passed on. */
  onLog?: LogListener;
  logBytesLeft: number;
}

/**
 * One connection to a runner speaking the runtime protocol, over a unix socket or TCP. The runner
 * executes one call at a time, in the order sent; the host may pipeline several on the connection, so a
 * busy runner finds its next call already there instead of sleeping until it is woken for it. Each call's
 * deadline runs from when it reaches the head. A call past its deadline, or an answer that is not
 * JSON, means the runner cannot be trusted with more: `onBroken` is told, and its owner ends the
 * process or the connection.
 */
export class RunnerConnection {
  /** Calls sent and not yet answered, in the order the runner executes them; the head is running. */
  private readonly queue: Pending[] = [];
  private readonly write: (line: string) => void;
  private nextId = 1;
  private serviceMs?: number;

  constructor(
    private readonly socket: Socket,
    private readonly onBroken: (failure: RunnerFailure | string) => void,
  ) {
    // A broken connection means the runner is going away; its owner settles the calls in flight.
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    this.write = lineWriter(socket);
    // An answer past the limit (a function returning or printing without end) fails its call, and the
    // runner goes: nothing it says after that can be trusted to line up with the calls.
    onLines(socket, (line) => this.receive(line), {
      maxLine: MAX_ANSWER_BYTES,
      onTooLong: () => {
        const failure = new RunnerFailure(
          `the function's answer is over ${MAX_ANSWER_BYTES / 1024 / 1024} MB (its output and logs)`,
          'exited',
        );
        this.failAll(failure);
        this.onBroken(failure);
      },
    });
  }

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

  call(method: 'init' | 'run', params: unknown, timeoutMs: number): Promise<RpcResponse> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const run = method === 'run' ? (params as RunRequest) : undefined;
      const onLog = run?.onLog;
      // What the runner may pass on is held to the run's log limit here too: the function shares the
      // runner's process, so it could write notifications of its own past the runner's count.
      const logBytesLeft = run?.logLimitBytes ?? DEFAULT_LOG_LIMIT_BYTES;
      this.queue.push({ id, method, timeoutMs, resolve, reject, onLog, logBytesLeft });
      this.startHead();
      const sent = onLog ? { ...run, streamLogs: true } : params;
      // Calls sent in the same turn of the event loop leave in one write (lineWriter).
      this.write(JSON.stringify({ jsonrpc: '2.0', id, method, params: sent }));
    });
  }

  /** Fails the running call with `err`; the ones queued behind it never ran, and may run elsewhere. */
  failAll(err: RunnerFailure): void {
    const [head, ...rest] = this.queue.splice(0);
    for (const p of [head, ...rest]) clearTimeout(p?.timer);
    head?.reject(err);
    for (const p of rest)
      p.reject(new RunnerFailure(`displaced by a call that failed before it: ${err.message}`, 'displaced'));
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(line: string): void {
    let response: RpcResponse;
    try {
      response = JSON.parse(line) as RpcResponse;
    } catch {
      this.onBroken(`unreadable answer: ${line.slice(0, 200)}`);
      return;
    }
    const head = this.queue[0];
    if ((response as { method?: unknown }).method === 'log') {
      this.logged(head, (response as { params?: Partial<LogNotice> }).params);
      return;
    }
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

  /** Output the running call's function printed: to its listener, within its limit; else dropped. */
  private logged(head: Pending | undefined, notice: Partial<LogNotice> | undefined): void {
    if (!head?.onLog || head.logBytesLeft <= 0) return;
    const { stream, text } = notice ?? {};
    if ((stream !== 'stdout' && stream !== 'stderr') || typeof text !== 'string' || text === '') return;
    const kept = text.length <= head.logBytesLeft ? text : text.slice(0, head.logBytesLeft);
    head.logBytesLeft -= kept.length;
    try {
      head.onLog(stream, kept);
    } catch {
      // A listener's failure is its own: the run goes on.
    }
  }

  /** The head call is running now: its deadline starts. A stuck function takes its runner with it. */
  private startHead(): void {
    const head = this.queue[0];
    if (!head || head.timer) return;
    head.startedAt = performance.now();
    head.timer = setTimeout(() => {
      const failure = new RunnerFailure(`the function did not finish within ${head.timeoutMs} ms`, 'timeout');
      this.failAll(failure);
      this.onBroken(failure);
    }, head.timeoutMs);
  }
}

/** The function's own time, as the runner reported it with its answer. */
function reportedDuration(response: RpcResponse): number | undefined {
  if (!('result' in response)) return undefined;
  const took = (response.result as Partial<RunResponse> | null)?.context?.durationMs;
  return typeof took === 'number' && took >= 0 ? took : undefined;
}
