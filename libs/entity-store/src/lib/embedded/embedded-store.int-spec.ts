import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { EmbeddedEntityStore } from './embedded-store.js';

describe('embedded store killed mid-write', () => {
  it('loses no write it had acknowledged', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dispatch-crash-'));
    const script = fileURLToPath(new URL('../testing/crash-writer.mjs', import.meta.url));
    const child = spawn(process.execPath, [script, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acknowledged: string[] = [];
    let partial = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        acknowledged.push(...lines);
        if (acknowledged.length >= 2000 && !child.killed) {
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
    });
    expect(acknowledged.length).toBeGreaterThanOrEqual(2000);

    const store = await EmbeddedEntityStore.open({ dataDir });
    const stored = new Set((await store.list({ org: 'crash' })).map((e) => e.name));
    const lost = acknowledged.filter((name) => !stored.has(name));
    expect(lost).toEqual([]);
    await store.close();
  }, 60_000);
});
