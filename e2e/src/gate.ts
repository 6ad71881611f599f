import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './processes.js';

/**
 * A dependency that is still starting: a port that refuses connections until it is opened, then
 * forwards each one to the real server (`host:port`). Kafka's clients meet the broker's advertised
 * address after their first answer, so the gate only needs to hold back the seed.
 */
export class Gate {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** A gate, closed, in front of `host:port` (a URL's or a broker list's first address). */
  static async before(address: string): Promise<Gate> {
    const { hostname, port } = new URL(address.includes('://') ? address : `tcp://${address.split(',')[0]}`);
    return new Gate(await freePort(), { host: hostname, port: Number(port) });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
