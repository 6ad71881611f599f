import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { freePort } from '../testing/ports.js';
import { RemoteRunner } from './remote-runner.js';

describe('connecting to a function workload', () => {
  let server: Server | undefined;
  let runner: RemoteRunner | undefined;
  afterEach(async () => {
    await runner?.kill();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = runner = undefined;
  });

  it('waits out a Service that refuses until its ready pod is reachable', async () => {
    const port = await freePort();
    // As a Service whose pod just became ready, before kube-proxy has its address.
    setTimeout(() => {
      server = createServer((socket) => socket.on('error', () => undefined)).listen(port, '127.0.0.1');
    }, 400);
    runner = await RemoteRunner.connect('127.0.0.1', port);
    expect(runner.alive).toBe(true);
  });

  it('gives up on a Service that keeps refusing, saying where', async () => {
    const port = await freePort();
    await expect(RemoteRunner.connect('127.0.0.1', port, { refusedGraceMs: 300 })).rejects.toThrow(
      `the function's workload at 127.0.0.1:${port} refused`,
    );
  });
});
