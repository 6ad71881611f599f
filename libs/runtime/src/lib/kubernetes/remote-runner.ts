import { connect } from 'node:net';
import { DomainError } from '@dispatch/contracts';
import type { RunRequest, RunResponse } from '../protocol.js';
import { RunnerConnection, RunnerFailure, type Runner } from '../runner-connection.js';

const CONNECT_TIMEOUT_MS = 10_000;

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

  static connect(host: string, port: number): Promise<RemoteRunner> {
    const where = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DomainError('UNAVAILABLE', `the function's workload at ${where} did not answer`));
      }, CONNECT_TIMEOUT_MS);
      const refused = (err: Error) => {
        clearTimeout(timer);
        reject(new DomainError('UNAVAILABLE', `the function's workload at ${where} refused: ${err.message}`));
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
