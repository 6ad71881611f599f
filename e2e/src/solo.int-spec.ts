import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { EmbeddedEntityStore } from '@dispatch/entity-store';
import { freePort, run, start, waitForHttp } from './processes.js';
import { bearerOf } from './session.js';
import { startSolo, startSoloSession } from './solo-session.js';

/** Every process below `pid`, however deep. */
function descendants(pid: number): number[] {
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // gone meanwhile
  }
  const children = tasks.flatMap((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  });
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return `${pid} (gone)`;
  }
}

const dataDirs: string[] = [];
function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-solo-'));
  dataDirs.push(dir);
  return dir;
}
afterAll(() => dataDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const solo = (port: number, dataDir: string) => startSolo(port, dataDir);

describe('solo', () => {
  it('starts with `npm start`, answers its version and health, and stops cleanly', async () => {
    const port = await freePort();
    const dataDir = tempDataDir();
    const proc = start('npm', ['start', '--silent', '--', '--port', String(port), '--data-dir', dataDir], {
      DISPATCH_CONFIG: join(dataDir, 'cli-config.json'),
    });
    try {
      const res = await waitForHttp(`http://127.0.0.1:${port}/v1/version`, proc, 200, 90_000);
      const version = (await res.json()) as Record<string, string>;
      expect(version).toMatchObject({ shape: 'solo', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ok',
        checks: { 'entity-store': { status: 'ok' }, 'message-bus': { status: 'ok' } },
      });
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      // An unknown path is a 404 to a caller with a credential; without one, nothing is answered but 401.
      const missing = await fetch(`http://127.0.0.1:${port}/v1/no-such-thing`, {
        headers: { authorization: await bearerOf('default/admin', join(dataDir, 'admin.key')) },
      });
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: 404, errorCode: 'NOT_FOUND' });
      expect((await fetch(`http://127.0.0.1:${port}/v1/no-such-thing`)).status).toBe(401);
    } finally {
      await proc.stop();
    }
    expect(proc.output()).toContain(`Dispatch is listening on http://127.0.0.1:${port}`);
    // With no configuration the gateway takes the original's ports.
    expect(proc.output()).toContain(
      'Endpoints are served on http://127.0.0.1:8081 and https://127.0.0.1:8444',
    );
  }, 120_000);

  it('answers the dispatch CLI', async () => {
    const port = await freePort();
    const proc = solo(port, tempDataDir());
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, proc);
      const out = await run(
        process.execPath,
        ['apps/cli/bin/dispatch.js', '--port', String(port), 'version', '-o', 'json'],
        { DISPATCH_CONFIG: join(tmpdir(), 'dispatch-no-config.json') },
      );
      expect(out.code).toBe(0);
      expect(JSON.parse(out.stdout)).toMatchObject({ server: { shape: 'solo' } });
    } finally {
      expect(await proc.stop()).toBe(0);
    }
  }, 60_000);

  it('makes the local user its administrator on the first start, and refuses calls without a credential', async () => {
    const port = await freePort();
    const dataDir = tempDataDir();
    const config = join(dataDir, 'cli-config.json');
    const keyFile = join(dataDir, 'admin.key');
    const cli = (...args: string[]) =>
      run(process.execPath, ['apps/cli/bin/dispatch.js', ...args], { DISPATCH_CONFIG: config });
    let proc = solo(port, dataDir);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, proc);
      for (let i = 0; i < 100 && !existsSync(config); i += 1) await new Promise((r) => setTimeout(r, 50));
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(statSync(config).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({
        current: 'solo',
        contexts: {
          solo: expect.objectContaining({ port, serviceAccount: 'default/admin', jwtPrivateKey: keyFile }),
        },
      });

      const anonymous = await fetch(`http://127.0.0.1:${port}/v1/function`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({
        errorCode: 'UNAUTHENTICATED',
        message: expect.stringContaining('needs a credential'),
      });
      const forged = await fetch(`http://127.0.0.1:${port}/v1/function`, {
        headers: { authorization: 'Bearer not-a-token' },
      });
      expect(forged.status).toBe(401);

      // The CLI, with no login, is the administrator: everything, in any org.
      expect((await cli('get', 'functions')).code).toBe(0);
      expect((await cli('--organization', 'elsewhere', 'get', 'secrets')).code).toBe(0);
      const policies = await cli('iam', 'get', 'policies', '-o', 'json');
      expect(JSON.parse(policies.stdout)).toEqual([
        expect.objectContaining({
          name: 'admin',
          global: true,
          rules: [{ subjects: ['default/admin'], resources: ['*'], actions: ['*'] }],
        }),
      ]);
    } finally {
      expect(await proc.stop()).toBe(0);
    }
    expect(proc.output()).toContain('Created the local administrator');

    // A restart keeps the administrator as it is.
    const key = readFileSync(keyFile, 'utf8');
    proc = solo(port, dataDir);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, proc);
      expect((await cli('get', 'functions')).code).toBe(0);
    } finally {
      expect(await proc.stop()).toBe(0);
    }
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    expect(proc.output()).not.toContain('Created the local administrator');
  }, 60_000);

  it('keeps its data across a restart', async () => {
    const port = await freePort();
    const dataDir = tempDataDir();
    // A READY base image: no reconciler has work on it, so it must come back exactly as written.
    const ref = { org: 'default', project: 'default', kind: 'baseimage', name: 'kept' };

    const first = solo(port, dataDir);
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, first);
    expect(await first.stop()).toBe(0);

    // Write while solo is down, straight into its store, then restart it twice over the same data.
    const store = await EmbeddedEntityStore.open({ dataDir: join(dataDir, 'store') });
    const written = await store.create({
      ...ref,
      status: 'READY',
      spec: { imageURL: 'dispatchframework/nodejs-base:0.0.13', language: 'nodejs' },
    });
    await store.close();

    for (let i = 0; i < 2; i += 1) {
      const again = solo(port, dataDir);
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, again);
      expect(await again.stop()).toBe(0);
    }
    const reopened = await EmbeddedEntityStore.open({ dataDir: join(dataDir, 'store') });
    expect(await reopened.get(ref)).toEqual(written);
    await reopened.close();
  }, 60_000);

  it('leaves no function process behind when it is killed outright', async () => {
    const session = await startSoloSession('killed');
    try {
      await session.nodejsImage();
      // The function leaves a process of its own running, detached, as a stray would be.
      session.write(
        'stray.js',
        "const { spawn } = require('child_process');\n" +
          "module.exports = () => { spawn('sleep', ['600'], { detached: true, stdio: 'ignore' }).unref(); return 'started'; };\n",
      );
      expect(
        (await session.dispatch(['create', 'function', '--image', 'nodejs', 'stray', './stray.js', '--wait']))
          .code,
      ).toBe(0);
      expect((await session.dispatch(['exec', 'stray'])).stdout).toContain('started');
      // Its runner, the sandbox around it and the stray are solo's descendants.
      const tree = descendants(session.pid);
      expect(tree.map(commandOf)).toEqual(expect.arrayContaining([expect.stringMatching(/^sleep/)]));
      process.kill(session.pid, 'SIGKILL');
      const alive = (p: number) =>
        existsSync(`/proc/${p}`) && !readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z');
      for (let i = 0; i < 50 && tree.some(alive); i += 1) await new Promise((r) => setTimeout(r, 100));
      expect(tree.filter(alive).map(commandOf)).toEqual([]);
    } finally {
      await session.stop();
    }
  }, 120_000);

  it('refuses a second solo on the same data directory, saying why', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const first = solo(port, dataDir);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, first);
      const second = solo(await freePort(), dataDir);
      expect(await second.exited).not.toBe(0);
      expect(second.output()).toMatch(/in use by process \d+/);
    } finally {
      await first.stop();
    }
  }, 60_000);

  it('refuses a bad flag with one clear line and a non-zero exit', async () => {
    const out = await run(process.execPath, ['apps/solo/dist/main.js', '--port', 'eighty']);
    expect(out.code).not.toBe(0);
    expect(out.stderr + out.stdout).toMatch(/DISPATCH_PORT: must be a port number/);
  });
});
