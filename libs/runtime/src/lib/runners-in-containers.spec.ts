import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { compileFunction } from './process/compile.js';
import { prepareJavaRunner } from './process/runner-launch.js';
import type { Language, RpcResponse, RunResponse } from './protocol.js';
import { freePort, portOpen } from './testing/ports.js';

/*
 * Each language runner as its image runs it (deploy/runners): no unix socket and no host pipe, the
 * function named by the environment, the protocol on a TCP port, several connections from the functions
 * service at once, and SIGTERM when Kubernetes stops the pod.
 */

const RUNNERS = fileURLToPath(new URL('../../runners/', import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function code(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-container-code-'));
  // Readable by the function's own user, as a function's unpacked code is (javac runs as it).
  chmodSync(dir, 0o755);
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The runner's command line, as its image's entrypoint has it. */
async function commandOf(language: Language): Promise<string[]> {
  switch (language) {
    case 'nodejs':
      return [process.execPath, join(RUNNERS, 'nodejs', 'runner.mjs')];
    case 'python3':
      return ['python3', '-u', join(RUNNERS, 'python3', 'runner.py')];
    case 'java': {
      const jar = await prepareJavaRunner();
      return [
        'java',
        '-cp',
        `${join(jar, 'dispatch-java-runner.jar')}:${join(jar, 'lib', '*')}`,
        'io.dispatch.runner.Runner',
      ];
    }
  }
}

interface Container {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startContainer(language: Language, env: Record<string, string>): Promise<Container> {
  const [file, ...args] = await commandOf(language);
  const port = await freePort();
  // As in a container: standard input is not a pipe from anyone, and no unix socket is given.
  const child = spawn(file as string, args, {
    env: { PATH: process.env['PATH'], HOME: tmpdir(), DISPATCH_RUNNER_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { child, port, stderr: () => stderr, exited };
}

/** Waits for the port to open, as a readiness probe would; fails if the container exits first. */
async function ready(container: Container): Promise<void> {
  let gone = false;
  void container.exited.then(() => (gone = true));
  const deadline = Date.now() + 60_000;
  while (!gone && Date.now() < deadline) {
    const open = await portOpen(container.port);
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the runner did not open its port: ${container.stderr()}`);
}

/** A connection of the host: sends `run` lines, gives each answer by id. */
function hostConnection(port: number) {
  const socket = connect({ host: '127.0.0.1', port });
  const waiting = new Map<number, (r: RpcResponse) => void>();
  let rest = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const text = rest + chunk;
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const response = JSON.parse(line) as RpcResponse;
      waiting.get(response.id as number)?.(response);
    }
  });
  let id = 0;
  return {
    run(payload: unknown, deadlineMs?: number): Promise<RunResponse> {
      id += 1;
      const mine = id;
      const params = { context: {}, payload, deadlineMs };
      socket.write(`${JSON.stringify({ jsonrpc: '2.0', id: mine, method: 'run', params })}\n`);
      return new Promise((resolve, reject) =>
        waiting.set(mine, (r) =>
          'result' in r ? resolve(r.result as RunResponse) : reject(new Error(JSON.stringify(r))),
        ),
      );
    },
    close: () => socket.destroy(),
  };
}

const FUNCTIONS: Record<Language, { files: Record<string, string>; handler: string; compile?: boolean }> = {
  nodejs: {
    files: {
      'hello.js': `module.exports = async (context, p) => {
        await new Promise((r) => setTimeout(r, p.sleep ?? 0));
        console.log('hi ' + p.name);
        return 'Hello, ' + p.name;
      };`,
    },
    handler: 'hello.js',
  },
  python3: {
    files: {
      'hello.py': `import time
def handle(context, p):
    time.sleep(p.get("sleep", 0) / 1000)
    print("hi " + p["name"])
    return "Hello, " + p["name"]
`,
    },
    handler: 'hello.handle',
  },
  java: {
    files: {
      'Hello.java': `import java.util.Map;
import java.util.function.BiFunction;

public class Hello implements BiFunction<Map<String, Object>, Map<String, Object>, String> {
  public String apply(Map<String, Object> context, Map<String, Object> p) {
    try { Thread.sleep(((Number) p.getOrDefault("sleep", 0)).longValue()); } catch (InterruptedException e) { }
    System.out.println("hi " + p.get("name"));
    return "Hello, " + p.get("name");
  }
}
`,
    },
    handler: 'Hello',
    compile: true,
  },
};

describe.each(['nodejs', 'python3', 'java'] as const)('the %s runner in a container', (language) => {
  let container: Container;
  const fn = FUNCTIONS[language];

  it('loads the function its environment names and serves several connections at once', async () => {
    const dir = code(fn.files);
    if (fn.compile) expect(await compileFunction(language, dir, undefined, 2_100_000_600)).toBeUndefined();
    container = await startContainer(language, {
      DISPATCH_FUNCTION_CODE_DIR: dir,
      DISPATCH_FUNCTION_HANDLER: fn.handler,
    });
    await ready(container);
    const [a, b] = [hostConnection(container.port), hostConnection(container.port)];
    const answers = await Promise.all([
      a.run({ name: 'ada' }),
      b.run({ name: 'grace' }),
      a.run({ name: 'alan' }),
    ]);
    expect(answers.map((r) => r.payload)).toEqual(['Hello, ada', 'Hello, grace', 'Hello, alan']);
    // Each run's output is its own, although the runs came on two connections.
    expect(answers.map((r) => r.context.logs.stdout)).toEqual([['hi ada'], ['hi grace'], ['hi alan']]);
    a.close();
    b.close();
  }, 180_000);

  it('answers the calls already sent when stopped with SIGTERM, then exits 0', async () => {
    const host = hostConnection(container.port);
    const other = hostConnection(container.port);
    const slow = host.run({ name: 'slow', sleep: 400 });
    await new Promise((r) => setTimeout(r, 100));
    // Sent on another connection while the first runs: it waits its turn in the runner.
    const queued = other.run({ name: 'queued' });
    await new Promise((r) => setTimeout(r, 50));
    container.child.kill('SIGTERM');
    expect((await slow).payload).toBe('Hello, slow');
    expect((await queued).payload).toBe('Hello, queued');
    expect(await container.exited).toBe(0);
    host.close();
    other.close();
  }, 60_000);

  it('ends itself when a run passes the deadline its host gave, since no host can stop it', async () => {
    const dir = code(fn.files);
    if (fn.compile) expect(await compileFunction(language, dir, undefined, 2_100_000_600)).toBeUndefined();
    const stuck = await startContainer(language, {
      DISPATCH_FUNCTION_CODE_DIR: dir,
      DISPATCH_FUNCTION_HANDLER: fn.handler,
    });
    await ready(stuck);
    const host = hostConnection(stuck.port);
    // Within its deadline a run is answered; one that would take far longer ends the runner.
    expect((await host.run({ name: 'quick' }, 5_000)).payload).toBe('Hello, quick');
    void host.run({ name: 'stuck', sleep: 60_000 }, 300).catch(() => undefined);
    expect(await stuck.exited).not.toBe(0);
    expect(stuck.stderr()).toContain('the function did not finish within 300 ms');
    host.close();
  }, 60_000);

  it('exits 1 naming the problem when the handler does not load, or is not named', async () => {
    const broken = await startContainer(language, {
      DISPATCH_FUNCTION_CODE_DIR: code({}),
      DISPATCH_FUNCTION_HANDLER: fn.handler,
    });
    expect(await broken.exited).toBe(1);
    expect(broken.stderr().trim()).not.toBe('');
    expect(broken.stderr()).toMatch(/hello|Hello/);

    const unnamed = await startContainer(language, { DISPATCH_FUNCTION_CODE_DIR: code({}) });
    expect(await unnamed.exited).toBe(1);
    expect(unnamed.stderr()).toContain('DISPATCH_FUNCTION_HANDLER is not set');
  }, 60_000);
});

describe('the nodejs runner in a container, with a function stuck in a loop', () => {
  it('still ends itself at the deadline: the watchdog does not need the stuck thread', async () => {
    const stuck = await startContainer('nodejs', {
      DISPATCH_FUNCTION_CODE_DIR: code({ 'spin.js': 'module.exports = () => { for (;;) {} };' }),
      DISPATCH_FUNCTION_HANDLER: 'spin.js',
    });
    await ready(stuck);
    const host = hostConnection(stuck.port);
    void host.run({}, 300).catch(() => undefined);
    expect(await stuck.exited).not.toBe(0);
    expect(stuck.stderr()).toContain('the function did not finish within 300 ms');
    host.close();
  }, 30_000);
});
