import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { DomainError, RUN_CHANNEL_PATH, RUN_CHANNEL_PROTOCOL, type Run } from '@dispatch/contracts';
import type { AccessControl } from '@dispatch/auth';
import type { HttpAdapterHost } from '@nestjs/core';
import type { FunctionsConfig } from '../functions.config.js';
import { RunChannelServer } from './run-channel.server.js';
import type { RunService } from './run.service.js';

/**
 * The channel's guard against held connections, on a real HTTP server and raw sockets (the e2e
 * distributed suite runs the channel itself against the services). The credential and the runs are
 * stand-ins: what is under test is how long a connection may stay open.
 */
describe('RunChannelServer idle connections', () => {
  const IDLE_MS = 500;
  let server: Server;
  let port: number;
  let channel: RunChannelServer;
  let finishRun: () => void = () => undefined;

  beforeEach(async () => {
    server = createServer((_req, res) => res.end());
    const access = {
      authenticate: async (authorization?: string) => {
        if (authorization !== 'Bearer good') throw new DomainError('UNAUTHENTICATED', 'no');
        return {};
      },
      check: async () => ({}),
    } as unknown as AccessControl;
    const runs = {
      run: (_scope: unknown, request: { input?: unknown }) =>
        new Promise<Run>((resolve) => {
          finishRun = () => resolve({ name: 'r', status: 'READY', output: request.input } as Run);
        }),
    } as unknown as RunService;
    const config: FunctionsConfig = { dataDir: '/nowhere', runChannelIdleMs: IDLE_MS };
    channel = new RunChannelServer(
      { httpAdapter: { getHttpServer: () => server } } as unknown as HttpAdapterHost,
      access,
      runs,
      config,
    );
    channel.onApplicationBootstrap();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    await channel.onModuleDestroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function connections(): Promise<number> {
    return new Promise((resolve, reject) =>
      server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
    );
  }

  /** An upgraded connection, and everything it hears until it closes. */
  function open(allowHalfOpen = false): { socket: Socket; heard: Promise<string> } {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
    const heard = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    socket.write(
      `GET ${RUN_CHANNEL_PATH} HTTP/1.1\r\nhost: functions\r\nconnection: Upgrade\r\n` +
        `upgrade: ${RUN_CHANNEL_PROTOCOL}\r\nauthorization: Bearer good\r\n\r\n`,
    );
    return { socket, heard };
  }

  it('tells a connection that says nothing to go away, and lets go of a caller that ends its side', async () => {
    const started = Date.now();
    const { socket, heard } = open();
    socket.on('data', (d: Buffer) => {
      if (d.toString().includes('{"goaway":true}\n')) socket.end();
    });
    expect(await heard).toMatch(/^HTTP\/1\.1 101 [^]*\{"goaway":true\}\n$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(Date.now() - started).toBeLessThan(2 * IDLE_MS);
  });

  it('cuts a caller that ignores goaway', async () => {
    const started = Date.now();
    const { heard } = open();
    expect(await heard).toContain('{"goaway":true}\n');
    // Cut by the server at the next idle time (or the grace, whichever comes first).
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * IDLE_MS - 50);
    expect(await connections()).toBe(0);
  });

  it('cuts a caller that trickles a line it never ends, as one that says nothing', async () => {
    const { socket, heard } = open();
    const trickle = setInterval(() => socket.write('{'), IDLE_MS / 5);
    try {
      expect(await heard).toContain('{"goaway":true}\n');
      expect(await connections()).toBe(0);
    } finally {
      clearInterval(trickle);
    }
  });

  it('ends its side when the caller ends its own, once the calls in flight are answered', async () => {
    const { socket, heard } = open();
    await new Promise((r) => setTimeout(r, 50));
    socket.write(
      `${JSON.stringify({ id: 1, org: 'o', project: 'p', request: { functionName: 'f', input: 1 } })}\n`,
    );
    await new Promise((r) => setTimeout(r, 50));
    socket.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(socket.destroyed).toBe(false);
    finishRun();
    const text = await heard;
    expect(text).toContain('"id":1,"run"');
    expect(text).not.toContain('goaway');
  });

  it('keeps a connection whose call runs past the idle time, and answers it', async () => {
    const { socket, heard } = open();
    await new Promise((r) => setTimeout(r, 50));
    socket.write(
      `${JSON.stringify({ id: 1, org: 'o', project: 'p', request: { functionName: 'f', input: 7 } })}\n`,
    );
    await new Promise((r) => setTimeout(r, IDLE_MS * 3));
    expect(socket.destroyed).toBe(false);
    finishRun();
    // Answered; then, idle again, told to go away.
    const text = await heard;
    expect(text).toContain('"id":1,"run":{"name":"r","status":"READY","output":7}');
    expect(text.indexOf('"id":1')).toBeLessThan(text.indexOf('goaway'));
  });
});
