import { connect } from 'node:net';
import { DomainError } from '@dispatch/contracts';
import type { RunRequest, RunResponse } from '../protocol.js';
import { RunnerConnection, RunnerFailure, type Runner } from '../runner-connection.js';

const CONNECT_TIMEOUT_MS = 10_000;
/** How long a Service that refuses connections is tried again (see connect). */
const REFUSED_GRACE_MS = 10_000;

/**
 * A connection to a function's pods over TCP, through its Service: one of the runners a pool holds. The
 * Service picks a pod per connection, so a pool of several connections spreads calls over the pods. A
 * call past its deadline ends the connection (the pod's runner is left to finish it; the pool opens
 * another), as does a lost connection, whose calls come back as a SystemError.
 */
export class RemoteRunner implements Runner {
  private closed = false;

  private constructor(
    private readonly connection: RunnerConnection,
    private readonly where: string,
  ) {}

  /**
   * Connects to the Service at `host:port`. A refusal is tried again for `refusedGraceMs`: the pod of a
   * workload that just became ready (woken from zero, say) is reachable through its Service only once
   * kube-proxy has its address, and until then the Service refuses. A refused connection sent nothing,
   * so trying again is safe.
   */
  static async connect(
    host: string,
    port: number,
    { refusedGraceMs = REFUSED_GRACE_MS }: { refusedGraceMs?: number } = {},
  ): Promise<RemoteRunner> {
    const giveUpAt = Date.now() + refusedGraceMs;
    for (let pauseMs = 50; ; pauseMs = Math.min(pauseMs * 2, 500)) {
      try {
        return await RemoteRunner.attempt(host, port);
      } catch (err) {
        const refused = (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
        if (!refused || Date.now() + pauseMs > giveUpAt) throw err;
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    }
  }

  private static attempt(host: string, port: number): Promise<RemoteRunner> {
    const where = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DomainError('UNAVAILABLE', `the function's workload at ${where} did not answer`));
      }, CONNECT_TIMEOUT_MS);
      const refused = (err: Error) => {
        clearTimeout(timer);
        reject(
          new DomainError('UNAVAILABLE', `the function's workload at ${where} refused: ${err.message}`, {
            cause: err,
          }),
        );
      };
      socket.once('error', refused);
      let runner: RemoteRunner | undefined = undefined;
      const connection = new RunnerConnection(socket, () => void runner?.kill());
      runner = new RemoteRunner(connection, where);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', refused);
        resolve(runner);
      });
      socket.once('close', () => runner.lost());
    });
  }

  get alive(): boolean {
    return !this.closed;
  }

  get inFlight(): number {
    return this.connection.inFlight;
  }

  get expectedWaitMs(): number {
    return this.connection.expectedWaitMs;
  }

  async run(run: RunRequest, timeoutMs: number): Promise<RunResponse> {
    if (this.closed) throw new RunnerFailure(`the connection to ${this.where} is closed`, 'displaced');
    // The pod's runner cannot be killed from here: it ends itself past the deadline (a little after this
    // side gives up), and Kubernetes starts it again.
    const response = await this.connection.call('run', { ...run, deadlineMs: timeoutMs + 1_000 }, timeoutMs);
    if ('error' in response)
      throw new RunnerFailure(`the runner failed: ${response.error.message}`, 'exited');
    return response.result as RunResponse;
  }

  kill(): Promise<void> {
    this.closed = true;
    this.connection.close();
    return Promise.resolve();
  }

  private lost(): void {
    this.closed = true;
    this.connection.failAll(
      new RunnerFailure(`the connection to the function's pod at ${this.where} was lost`, 'exited'),
    );
  }
}
