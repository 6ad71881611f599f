import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { describeEntityStoreContract } from '../testing/entity-store.contract.js';
import { EtcdEntityStore } from './etcd-store.js';

const endpoints = process.env.ETCD_ENDPOINTS?.split(',');
if (!endpoints) {
  throw new Error('ETCD_ENDPOINTS is not set: start etcd with `node tools/etcd.js start` or run `npm test`');
}

describeEntityStoreContract('etcd', async () => new EtcdEntityStore({ endpoints }));

function run(script: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('etcd lock across processes', () => {
  it('never lets two processes hold the lock at once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dispatch-lock-')), 'turns.log');
    const script = fileURLToPath(new URL('../testing/lock-contender.mjs', import.meta.url));
    const lockName = `contended-${Date.now()}`;
    const codes = await Promise.all(
      [1, 2, 3].map(() => run(script, [endpoints.join(','), lockName, file, '15'])),
    );
    expect(codes).toEqual([0, 0, 0]);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3 * 15 * 2);
    for (let i = 0; i < lines.length; i += 2) {
      const [enter, exit] = [lines[i]?.split(' '), lines[i + 1]?.split(' ')];
      expect(enter?.[0]).toBe('enter');
      expect(exit).toEqual(['exit', enter?.[1]]);
    }
    expect(new Set(lines.map((l) => l.split(' ')[1])).size).toBe(3);
  }, 60_000);

  it('frees the lock of a holder whose lease ran out', async () => {
    const store = new EtcdEntityStore({ endpoints });
    const other = new EtcdEntityStore({ endpoints });
    const name = `abandoned-${Date.now()}`;
    await store.lock(name, { ttlSeconds: 2 });
    // The holder's connection goes away without releasing: its keep-alives stop.
    await store.close();
    const started = Date.now();
    const lock = await other.lock(name, { timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    await lock.release();
    await other.close();
  }, 20_000);
});
