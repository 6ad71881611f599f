import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DispatchClient } from './traced-client.js';

/*
 * One service calling another that is restarting: a read is tried again until it answers; a call that
 * reached the server is never sent twice, so a run cannot happen twice.
 */

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server that answers 503 to its first `failures` calls, then 200; it counts what it received. */
function flaky(failures: number, port = 0): Promise<{ url: string; received: string[] }> {
  const received: string[] = [];
  server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    const failing = received.length <= failures;
    res.writeHead(failing ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(failing ? { message: 'starting' } : { ok: true }));
  });
  return new Promise((resolve) =>
    server?.listen(port, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server?.address() as AddressInfo).port}`, received }),
    ),
  );
}

const retry = { attempts: 4, backoffMs: 10 };

describe('calls between services', () => {
  it('tries a read again while the other service answers 503, until it answers', async () => {
    const { url, received } = await flaky(2);
    const client = new DispatchClient({ baseUrl: url, retry });
    expect(await client.request('GET', '/v1/secret/db')).toEqual({ ok: true });
    expect(received).toEqual(['GET /v1/secret/db', 'GET /v1/secret/db', 'GET /v1/secret/db']);
  });

  it('gives up after its attempts with the last answer', async () => {
    const { url, received } = await flaky(10);
    const client = new DispatchClient({ baseUrl: url, retry });
    await expect(client.request('GET', '/v1/secret/db')).rejects.toMatchObject({
      status: 503,
      message: 'starting',
    });
    expect(received).toHaveLength(4);
  });

  it('never sends a run twice once the server has it, even when it answered 503', async () => {
    const { url, received } = await flaky(1);
    const client = new DispatchClient({ baseUrl: url, retry });
    await expect(client.request('POST', '/v1/runs', { functionName: 'f' })).rejects.toMatchObject({
      status: 503,
    });
    expect(received).toEqual(['POST /v1/runs']);
  });

  it('sends a run again when the connection was refused: the server never had it', async () => {
    // Nothing listens on the port at first; the server comes up while the client backs off.
    const probe = await flaky(0);
    const port = Number(new URL(probe.url).port);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    const client = new DispatchClient({ baseUrl: probe.url, retry: { attempts: 5, backoffMs: 50 } });
    const answered = client.request('POST', '/v1/runs', { functionName: 'f' });
    await new Promise((r) => setTimeout(r, 60));
    const { received } = await flaky(0, port);
    expect(await answered).toEqual({ ok: true });
    expect(received).toEqual(['POST /v1/runs']);
  });

  it("carries the id of the call it is part of, so the other service's logs name it", async () => {
    const seen: (string | undefined)[] = [];
    server = createServer((req, res) => {
      seen.push(req.headers['x-request-id'] as string | undefined);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let current: string | undefined = 'gateway-call-7';
    const client = new DispatchClient({ baseUrl: url, requestId: () => current });
    await client.request('GET', '/v1/secret/db');
    current = undefined;
    await client.request('GET', '/v1/secret/db');
    expect(seen).toEqual(['gateway-call-7', undefined]);
  });

  it('tries once by default, as the CLI does', async () => {
    const { url, received } = await flaky(1);
    await expect(new DispatchClient({ baseUrl: url }).request('GET', '/v1/function')).rejects.toMatchObject({
      status: 503,
    });
    expect(received).toHaveLength(1);
  });
});
