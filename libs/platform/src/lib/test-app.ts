import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startHttpServer } from './http-server.js';
import { PlatformModule } from './platform.module.js';

export interface TestApp {
  url: string;
  /** One API call as a client makes it: JSON in and out, in the given org. */
  call<T>(method: string, path: string, body?: unknown, org?: string): Promise<{ status: number; body: T }>;
  dataDir: string;
  app: NestFastifyApplication;
  close(): Promise<void>;
}

/**
 * A solo-shaped app on a free loopback port with a throwaway data directory, for a domain lib's tests to
 * call over real HTTP as a client would.
 */
export async function startTestApp(modules: (dataDir: string) => (Type | DynamicModule)[]): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dispatch-test-'));
  @Module({ imports: [PlatformModule.solo({ dataDir }), ...modules(dataDir)] })
  class TestModule {}
  const app = await startHttpServer({ module: TestModule, host: '127.0.0.1', port: 0, handleSignals: false });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    call: async <T>(method: string, path: string, body?: unknown, org = 'default') => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-dispatch-org': org },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      // A 204 has no body.
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    dataDir,
    app,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
