import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Logger, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Public } from './access.decorators.js';
import { startHttpServer } from './http-server.js';
import { currentRequestId, withRequestId } from './logging.js';

@Controller('work')
@Public()
class WorkController {
  private readonly logger = new Logger('work');

  @Get()
  async work(): Promise<{ requestId?: string }> {
    // After an await, still within the call's scope.
    await new Promise((r) => setTimeout(r, 5));
    this.logger.warn('something worth a look');
    return { requestId: currentRequestId() };
  }
}

describe('platform logs', () => {
  let app: NestFastifyApplication;
  let url: string;
  const lines: string[] = [];
  const previousFormat = process.env['DISPATCH_LOG_FORMAT'];

  beforeAll(async () => {
    process.env['DISPATCH_LOG_FORMAT'] = 'json';
    for (const stream of [process.stdout, process.stderr])
      jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        return true;
      });
    @Module({ controllers: [WorkController] })
    class TestModule {}
    app = await startHttpServer({
      module: TestModule,
      name: 'test-service',
      host: '127.0.0.1',
      port: 0,
      handleSignals: false,
    });
    const address = app.getHttpServer().address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await app?.close();
    jest.restoreAllMocks();
    if (previousFormat === undefined) delete process.env['DISPATCH_LOG_FORMAT'];
    else process.env['DISPATCH_LOG_FORMAT'] = previousFormat;
  });

  const logged = (requestId: string) =>
    lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line['requestId'] === requestId);

  it("are JSON lines naming the service and the caller's request id, which the answer repeats", async () => {
    const res = await fetch(`${url}/work`, { headers: { 'x-request-id': 'call-42.a:b' } });
    expect(res.headers.get('x-request-id')).toBe('call-42.a:b');
    expect(await res.json()).toEqual({ requestId: 'call-42.a:b' });
    expect(logged('call-42.a:b')).toEqual([
      expect.objectContaining({
        level: 'warn',
        context: 'work',
        message: 'something worth a look',
        service: 'test-service',
      }),
    ]);
  });

  it('give a call without an id a new one', async () => {
    const res = await fetch(`${url}/work`);
    const requestId = res.headers.get('x-request-id') as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(logged(requestId)).toHaveLength(1);
  });

  it("replace a caller's id that is not an id, so no caller writes into the logs (attack)", async () => {
    for (const sent of ['x'.repeat(129), 'a b', 'line\tbreak', '"},{"level":"error']) {
      const res = await fetch(`${url}/work`, { headers: { 'x-request-id': sent } });
      const requestId = res.headers.get('x-request-id') as string;
      expect(requestId).not.toBe(sent);
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(lines.join('\n')).not.toContain('xxxxxxxxxx'.repeat(12));
  });

  it('keep a run channel call within the id its caller sent', () => {
    expect(withRequestId('from-gateway', () => currentRequestId())).toBe('from-gateway');
    expect(withRequestId('not an id', () => currentRequestId())).toMatch(/^[0-9a-f-]{36}$/);
    expect(currentRequestId()).toBeUndefined();
  });
});
