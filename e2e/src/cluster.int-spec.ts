import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import { freePort, freePortPair, ROOT } from './processes.js';

// tools/cluster.js as a developer runs it, on ports and in a tools cache of its own (the Kafka jars
// borrowed from the real one), so neither the test servers nor a developer's own cluster are touched.
let work: string;
let env: NodeJS.ProcessEnv;
let broker: string;

function tool(...args: string[]): string {
  const res = spawnSync(process.execPath, [join(ROOT, 'tools/cluster.js'), ...args], {
    env,
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (res.status !== 0) throw new Error(`cluster.js ${args.join(' ')} failed:\n${res.stderr}${res.stdout}`);
  return res.stdout;
}

function dispatch(...args: string[]): { status: number | null; out: string } {
  const res = spawnSync(
    process.execPath,
    [join(ROOT, 'apps/cli/dist/main.js'), '--config', env['DISPATCH_CONFIG'] as string, ...args],
    { env, encoding: 'utf8', timeout: 60_000 },
  );
  return { status: res.status, out: res.stdout + res.stderr };
}

/** How many events of the topic the broker holds. */
async function held(topic: string): Promise<number> {
  const admin = new kafkajs.Kafka({ brokers: [broker], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dispatch-cluster-'));
  const cache = join(work, 'cache');
  mkdirSync(join(cache, 'kafka'), { recursive: true });
  symlinkSync(join(ROOT, '.cache', 'kafka', 'libs'), join(cache, 'kafka', 'libs'));
  const kafkaPort = await freePortPair();
  broker = `127.0.0.1:${kafkaPort}`;
  env = {
    ...process.env,
    DISPATCH_TOOLS_CACHE: cache,
    DISPATCH_CONFIG: join(work, 'config.json'),
    DISPATCH_CLUSTER_PORT: String(await freePort()),
    ETCD_PORT: String(await freePortPair()),
    KAFKA_PORT: String(kafkaPort),
    POSTGRES_PORT: String(await freePort()),
  };
  writeFileSync(join(work, 'values.json'), '{"password": "kept"}');
}, 60_000);

afterAll(() => {
  try {
    tool('stop');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 120_000);

describe('the local cluster (tools/cluster.js)', () => {
  it('keeps its data across a stop and a start, and starts empty only when asked to', async () => {
    tool('start', '--fresh');
    expect(dispatch('create', 'secret', 'kept', join(work, 'values.json')).status).toBe(0);
    const events = await held('secrets.secret.created');
    expect(events).toBeGreaterThan(0);

    tool('stop');
    tool('start');
    // etcd's data: the secret; Kafka's: the events it had; the administrator still signs in.
    const got = dispatch('get', 'secret', 'kept');
    expect(got).toMatchObject({ status: 0, out: expect.stringContaining('password') });
    expect(await held('secrets.secret.created')).toBe(events);

    tool('start', '--fresh');
    const fresh = dispatch('get', 'secret', 'kept');
    expect(fresh.status).not.toBe(0);
    expect(fresh.out).toContain('secret kept not found');
    expect(dispatch('get', 'secret').status).toBe(0);
  }, 600_000);
});
