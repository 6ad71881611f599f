import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  DomainError,
  httpStatusOf,
  lineWriter,
  onLines,
  RUN_CHANNEL_MAX_IN_FLIGHT,
  RUN_CHANNEL_MAX_LINE,
  RUN_CHANNEL_PATH,
  RUN_CHANNEL_PROTOCOL,
  runRequestBody,
  type ErrorCode,
  type Run,
  type RunChannelLine,
} from '@dispatch/contracts';
import { AccessControl } from '@dispatch/auth';
import {
  activeTracer,
  contextFrom,
  currentRequestId,
  draining,
  inSpan,
  parseBody,
  scopeOf,
  SpanKind,
  withRequestId,
} from '@dispatch/platform';
import { FUNCTIONS_CONFIG, type FunctionsConfig } from '../functions.config.js';
import { RunService } from './run.service.js';

/** How long a stopping service waits for the calls in flight on its channels. */
const DRAIN_MS = 30_000;
/** How long a connection stays open without a call in flight or a word said (FunctionsConfig). */
const IDLE_MS = 60_000;
/** How long a caller told `goaway` for idleness has to close before its connection is cut. */
const IDLE_GRACE_MS = 5_000;

/**
 * The server of the run channel (contracts' run-channel.ts): upgrades `GET /v1/runs/channel` on the
 * service's own port, then runs each call as `POST /v1/runs` would, with the connection's credential.
 * The distributed functions service turns it on; solo's callers are in its own process.
 */
@Injectable()
export class RunChannelServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('run-channel');
  private readonly connections = new Set<ChannelConnection>();

  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly access: AccessControl,
    private readonly runs: RunService,
    @Inject(FUNCTIONS_CONFIG) private readonly config: FunctionsConfig,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapter.httpAdapter?.getHttpServer() as Server | undefined;
    server?.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      // Whatever goes wrong with one connection ends that connection, never the service.
      this.upgrade(req, socket, head).catch((err: unknown) => {
        this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
        socket.destroy();
      });
    });
  }

  /** Stopping: callers are told to go elsewhere, and the calls in flight finish (within DRAIN_MS). */
  async onModuleDestroy(): Promise<void> {
    const open = [...this.connections];
    for (const connection of open) connection.goAway();
    const deadline = Date.now() + DRAIN_MS;
    while (open.some((c) => c.inFlight > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    for (const connection of open) connection.close();
  }

  private async upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const path = (req.url ?? '').split('?')[0];
    if (path !== RUN_CHANNEL_PATH || req.headers.upgrade?.toLowerCase() !== RUN_CHANNEL_PROTOCOL)
      return refuse(socket, 'NOT_FOUND', `no upgrade to ${req.headers.upgrade ?? 'nothing'} on ${path}`);
    if (draining()) return refuse(socket, 'UNAVAILABLE', 'this functions service is stopping');
    const authorization = req.headers.authorization;
    try {
      // Proven once for the connection; each call is then decided on the remembered token.
      await this.access.authenticate(authorization);
    } catch (err) {
      return refuse(socket, ...codeAndMessage(err));
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nupgrade: ${RUN_CHANNEL_PROTOCOL}\r\nconnection: Upgrade\r\n\r\n`,
    );
    if (head.length > 0) socket.unshift(head);
    const connection = new ChannelConnection(
      socket,
      (call) => this.run(authorization, call),
      this.logger,
      this.config.runChannelIdleMs ?? IDLE_MS,
    );
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }

  /** One call, decided and run as `POST /v1/runs` is: the same policy check, schema and service. */
  private run(authorization: string | undefined, call: Record<string, unknown>): Promise<Run> {
    // Within the caller's request id (a new one if it sent none, or a malformed one).
    return withRequestId(stringOrUndefined(call['requestId']), () =>
      activeTracer()
        ? inSpan(
            'run channel call',
            {
              kind: SpanKind.SERVER,
              parent: contextFrom(call),
              attributes: { 'dispatch.request_id': currentRequestId() ?? '' },
            },
            () => this.decideAndRun(authorization, call),
          )
        : this.decideAndRun(authorization, call),
    );
  }

  private async decideAndRun(authorization: string | undefined, call: Record<string, unknown>): Promise<Run> {
    const scope = scopeOf({
      'x-dispatch-org': stringOrUndefined(call['org']),
      'x-dispatch-project': stringOrUndefined(call['project']),
    });
    const caller = await this.access.check({
      authorization,
      org: scope.org,
      resource: 'function',
      action: 'exec',
    });
    const request = parseBody(runRequestBody, call['request'], 'run');
    if (!request.functionName) throw new DomainError('INVALID_ARGUMENT', 'functionName is required');
    return this.runs.run(scope, { ...request, functionName: request.functionName }, caller);
  }
}

/** One upgraded connection: lines in, each call run, answers out, one write per turn of the loop. */
class ChannelConnection {
  inFlight = 0;
  private readonly write: (line: string) => void;
  private paused = false;
  private closing = false;
  private readonly idleTimer: NodeJS.Timeout;
  /** Calls and answers so far, and at the idle timer's last look. */
  private heard = 0;
  private heardBefore = 0;

  constructor(
    private readonly socket: Socket,
    private readonly run: (call: Record<string, unknown>) => Promise<Run>,
    private readonly logger: Logger,
    idleMs: number,
  ) {
    socket.setNoDelay(true);
    // Idle is counted from the last whole call or answer, not the last byte: a caller trickling a line
    // that never ends is as idle as a silent one (the socket's own timeout would count each byte).
    this.idleTimer = setTimeout(() => this.idle(), idleMs).unref();
    socket.once('close', () => clearTimeout(this.idleTimer));
    // The HTTP server's sockets stay half-open: a caller that has ended its side (it was told to go
    // away, or it retired the connection) gets the answers in flight, then this side ends too.
    socket.on('end', () => {
      this.closing = true;
      if (this.inFlight === 0) socket.end();
    });
    this.write = lineWriter(socket);
    // A line past the limit, or one that is not a call, ends the connection: what follows cannot be
    // trusted to line up with anything.
    onLines(socket, (line) => this.receive(line), {
      maxLine: RUN_CHANNEL_MAX_LINE,
      onTooLong: () => socket.destroy(),
    });
  }

  /** The caller is to send no more calls here; the connection ends once those in flight are answered. */
  goAway(): void {
    this.closing = true;
    this.send({ goaway: true });
  }

  close(): void {
    this.socket.destroy();
  }

  /**
   * Every idle time: quiet if no call came and no answer left since the last look, and none is in
   * flight (a long function is not idleness), so a connection goes after one to two idle times. The
   * caller is then told to go away (a call it sent meanwhile is still answered), and cut if it lingers
   * past the grace, or past another idle time. Counting calls, not re-arming a timer per call, keeps
   * this off the hot path.
   */
  private idle(): void {
    if (this.socket.destroyed) return;
    const quiet = this.inFlight === 0 && this.heard === this.heardBefore;
    this.heardBefore = this.heard;
    this.idleTimer.refresh();
    if (!quiet) return;
    if (this.closing) return this.close(); // told already, and still here
    this.goAway();
    setTimeout(() => {
      if (this.inFlight === 0) this.close();
    }, IDLE_GRACE_MS).unref();
  }

  private receive(line: string): void {
    let call: unknown;
    try {
      call = JSON.parse(line);
    } catch {
      this.socket.destroy();
      return;
    }
    const id = (call as { id?: unknown } | null)?.id;
    if (typeof call !== 'object' || call === null || !Number.isSafeInteger(id)) {
      this.socket.destroy();
      return;
    }
    this.inFlight += 1;
    this.heard += 1;
    if (this.inFlight >= RUN_CHANNEL_MAX_IN_FLIGHT && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.run(call as Record<string, unknown>).then(
      (run) => this.answer({ id: id as number, run }),
      (err: unknown) => {
        if (!(err instanceof DomainError))
          this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
        const [code, message] = codeAndMessage(err);
        this.answer({ id: id as number, error: { code, message } });
      },
    );
  }

  private answer(line: RunChannelLine): void {
    this.inFlight -= 1;
    this.heard += 1;
    if (this.paused && this.inFlight < RUN_CHANNEL_MAX_IN_FLIGHT / 2) {
      this.paused = false;
      this.socket.resume();
    }
    this.send(line);
    if (this.closing && this.inFlight === 0) this.socket.end();
  }

  private send(line: RunChannelLine): void {
    if (this.socket.destroyed) return;
    // Answers finished in the same turn leave in one write.
    this.write(JSON.stringify(line));
  }
}

function codeAndMessage(err: unknown): [ErrorCode, string] {
  if (err instanceof DomainError) return [err.code, err.message];
  return ['INTERNAL', 'internal error; the server log has the details'];
}

/** An HTTP answer in place of the upgrade, as the API would give it, and the connection closed. */
function refuse(socket: Socket, code: ErrorCode, message: string): void {
  const status = httpStatusOf(code);
  const body = JSON.stringify({ code: status, errorCode: code, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
