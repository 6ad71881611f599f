import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Param } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Public } from './access.decorators.js';
import { startHttpServer } from './http-server.js';
import { BoundedSeries, METRICS_REGISTRY, MetricsModule, soloMetricsToken } from './metrics.js';

@Controller('things')
@Public()
class ThingsController {
  @Get(':name')
  get(@Param('name') name: string): { name: string } {
    return { name };
  }
}

describe('metrics', () => {
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    @Module({
      imports: [MetricsModule.forRoot({ service: 'test', token: 'scrape-secret' })],
      controllers: [ThingsController],
    })
    class TestModule {}
    app = await startHttpServer({ module: TestModule, host: '127.0.0.1', port: 0, handleSignals: false });
    const address = app.getHttpServer().address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  const scrape = (authorization?: string) =>
    fetch(`${url}/metrics`, { headers: authorization ? { authorization } : {} });

  it('are read with the scrape token only', async () => {
    expect((await scrape()).status).toBe(401);
    const wrong = await scrape('Bearer not-it');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toContain('scrape token');
    const right = await scrape('Bearer scrape-secret');
    expect(right.status).toBe(200);
    expect(right.headers.get('content-type')).toContain('text/plain');
    expect(await right.text()).toContain('process_cpu_user_seconds_total{service="test"}');
  });

  it('count calls by route template, never by the path a caller chose', async () => {
    for (const name of ['a', 'b', 'c']) expect((await fetch(`${url}/things/${name}`)).status).toBe(200);
    expect((await fetch(`${url}/nowhere/${'x'.repeat(40)}`)).status).toBe(404);
    const text = await (await scrape('Bearer scrape-secret')).text();
    expect(text).toContain(
      'dispatch_http_requests_total{method="GET",route="/things/:name",code="200",service="test"} 3',
    );
    expect(text).toContain(
      'dispatch_http_requests_total{method="GET",route="unmatched",code="404",service="test"} 1',
    );
    expect(text).not.toContain('xxxxxxxx');
    expect(text).toMatch(
      /dispatch_http_request_duration_seconds_count\{[^}]*route="\/things\/:name"[^}]*\} 3\n/,
    );
  });
});

describe("solo's metrics token", () => {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-metrics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is made once, readable by its owner only, and kept', () => {
    const token = soloMetricsToken(dir);
    expect(token).toMatch(/^[\w-]{40,}$/);
    expect(statSync(join(dir, 'metrics.token')).mode & 0o777).toBe(0o600);
    expect(soloMetricsToken(dir)).toBe(token);
    expect(readFileSync(join(dir, 'metrics.token'), 'utf8').trim()).toBe(token);
  });
});

describe('series of what tenants make', () => {
  it('stay bounded however many names a tenant makes: past the bound, they are _other', () => {
    const series = new BoundedSeries(3);
    expect(['a', 'b', 'c'].map((n) => series.nameOf('acme', n))).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < 10_000; i += 1) expect(series.nameOf('acme', `flood-${i}`)).toBe('_other');
    // Names seen before the flood keep their series.
    expect(series.nameOf('acme', 'b')).toBe('b');
    expect(series.nameOf('other', 'a')).toBe('_other');
  });
});

describe('metrics off (no token)', () => {
  it('keep no registry, count nothing, and answer /metrics with 404 saying how to turn them on', async () => {
    @Module({
      imports: [MetricsModule.forRoot({ service: 'test', token: undefined })],
      controllers: [ThingsController],
    })
    class OffModule {}
    const app = await startHttpServer({
      module: OffModule,
      host: '127.0.0.1',
      port: 0,
      handleSignals: false,
    });
    try {
      expect(app.get(METRICS_REGISTRY, { strict: false })).toBeUndefined();
      const address = app.getHttpServer().address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      expect((await fetch(`${url}/things/a`)).status).toBe(200);
      const res = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer anything' } });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toContain('DISPATCH_METRICS_TOKEN');
    } finally {
      await app.close();
    }
  });
});
