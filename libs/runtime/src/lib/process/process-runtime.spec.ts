import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DomainError } from '@dispatch/contracts';
import type { Language, RunResponse } from '../protocol.js';
import { compileFunction } from './compile.js';
import { VersionRetired, type FunctionSpec } from '../function-runtime.js';
import { ProcessRuntime } from './process-runtime.js';

// Function code lives under a directory only Dispatch's user may enter, as in a data directory.
const codeRoot = mkdtempSync(join(tmpdir(), 'dispatch-fns-'));
let dirCount = 0;
function code(files: Record<string, string>): string {
  const dir = join(codeRoot, `fn-${(dirCount += 1)}`);
  mkdirSync(dir, { mode: 0o755 });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const HELLO_JS = `module.exports = function (context, params) {
  console.log('saying hello to ' + params.name);
  return { myField: 'Hello, ' + params.name + ' from ' + params.place };
};`;

const HELLO_PY = `def handle(ctx, payload):
    print("saying hello to", payload["name"])
    return {"myField": "Hello, %s from %s" % (payload["name"], payload["place"])}
`;

let runtime: ProcessRuntime;
/** The host user javac runs as for these tests' java functions (as root; ignored otherwise). */
const JAVA_UID = 2_100_000_500;
let n = 0;
const spec = (
  language: 'nodejs' | 'python3' | 'java',
  codeDir: string,
  handler: string,
  extra: Partial<FunctionSpec> = {},
): FunctionSpec => ({
  key: `fn-${(n += 1)}`,
  language,
  codeDir,
  handler,
  timeoutMs: 5000,
  ...extra,
});
const run = (s: FunctionSpec, payload: unknown): Promise<RunResponse> =>
  runtime.invoke(s, { context: {}, payload });

beforeAll(() => {
  runtime = new ProcessRuntime();
});
afterAll(async () => {
  await runtime.close();
  rmSync(codeRoot, { recursive: true, force: true });
});

describe('nodejs functions', () => {
  const hello = () => spec('nodejs', code({ 'hello.js': HELLO_JS }), './hello.js');

  it('runs the handler with the payload and captures its console output', async () => {
    const res = await run(hello(), { name: 'Jon', place: 'Winterfell' });
    expect(res).toEqual({
      context: {
        logs: { stdout: ['saying hello to Jon'], stderr: [] },
        error: null,
        durationMs: expect.any(Number),
      },
      payload: { myField: 'Hello, Jon from Winterfell' },
    });
  });

  it('awaits an async handler and passes the context in', async () => {
    const s = spec(
      'nodejs',
      code({ 'f.js': 'module.exports = async (ctx, p) => ({ got: p, secret: ctx.secrets.k });' }),
      './f.js',
    );
    const res = await runtime.invoke(s, { context: { secrets: { k: 'v' } }, payload: 42 });
    expect(res.payload).toEqual({ got: 42, secret: 'v' });
  });

  it('takes a literal payload', async () => {
    const s = spec('nodejs', code({ 'f.js': 'module.exports = (ctx, p) => p * 2;' }), './f.js');
    expect((await run(s, 42)).payload).toBe(84);
  });

  it('reports a thrown exception as FunctionError with its message and stack', async () => {
    const s = spec(
      'nodejs',
      code({ 'f.js': "module.exports = () => { throw new Error('boom'); };" }),
      './f.js',
    );
    const res = await run(s, {});
    expect(res.payload).toBeNull();
    expect(res.context.error).toMatchObject({ type: 'FunctionError', message: 'boom' });
    expect(res.context.error?.stacktrace?.join('\n')).toMatch(/f\.js/);
  });

  it('cuts an endless loop at its timeout as SystemError, and the next call works', async () => {
    const s = spec(
      'nodejs',
      code({ 'f.js': 'module.exports = (ctx, p) => { if (p.loop) for (;;) {} return "fine"; };' }),
      './f.js',
      { timeoutMs: 500 },
    );
    const res = await run(s, { loop: true });
    expect(res.context.error).toMatchObject({
      type: 'SystemError',
      message: expect.stringContaining('500 ms'),
    });
    expect((await run(s, { loop: false })).payload).toBe('fine');
  });

  it('reports a function that exits its process as SystemError and replaces the process', async () => {
    const s = spec(
      'nodejs',
      code({ 'f.js': 'module.exports = (ctx, p) => { if (p.exit) process.exit(3); return "alive"; };' }),
      './f.js',
    );
    const res = await run(s, { exit: true });
    expect(res.context.error).toMatchObject({
      type: 'SystemError',
      message: expect.stringContaining('code 3'),
    });
    expect((await run(s, {})).payload).toBe('alive');
  });

  it('reports running out of its memory cap as SystemError', async () => {
    const s = spec(
      'nodejs',
      code({ 'f.js': 'module.exports = () => { const a = []; for (;;) a.push(new Array(1e6).fill(1)); };' }),
      './f.js',
      { memoryMb: 64, timeoutMs: 20_000 },
    );
    expect((await run(s, {})).context.error?.type).toBe('SystemError');
  }, 30_000);

  it('refuses a handler that does not exist, saying so', async () => {
    const err = await runtime
      .prepare(spec('nodejs', code({ 'hello.js': HELLO_JS }), './nope.js'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).message).toMatch(/nope\.js not found/);
  });

  it('refuses a handler that exports no function', async () => {
    const err = await runtime
      .prepare(spec('nodejs', code({ 'f.js': 'module.exports = 42;' }), './f.js'))
      .catch((e: unknown) => e);
    expect((err as DomainError).message).toMatch(/exports no function/);
  });

  it('answers 200 concurrent calls correctly', async () => {
    const s = spec(
      'nodejs',
      code({
        'f.js':
          'module.exports = async (ctx, p) => { await new Promise(r => setTimeout(r, 5)); return p.i * p.i; };',
      }),
      './f.js',
    );
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => run(s, { i })));
    expect(results.map((r) => r.payload)).toEqual(Array.from({ length: 200 }, (_, i) => i * i));
    expect(runtime.processes(s.key)).toBeLessThanOrEqual(8);
  }, 30_000);

  it("gathers a quick function's calls on one process, and spreads a slow one's", async () => {
    const quick = spec('nodejs', code({ 'f.js': 'module.exports = (ctx, p) => p.i;' }), './f.js');
    // The pool learns how long a call takes (a moving average, past the first call's compiling).
    for (let i = 0; i < 5; i += 1) await run(quick, { i });
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => run(quick, { i })));
    expect(answers.map((r) => r.payload)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // One process as a rule (spread, they would take all 8); a loaded machine that measures a call
    // slower than PACK_MS opens one or two more.
    expect(runtime.processes(quick.key)).toBeLessThanOrEqual(3);

    const slow = spec(
      'nodejs',
      code({ 'f.js': 'module.exports = () => new Promise(r => setTimeout(() => r("done"), 50));' }),
      './f.js',
    );
    await run(slow, {});
    await Promise.all(Array.from({ length: 4 }, () => run(slow, {})));
    expect(runtime.processes(slow.key)).toBe(4);
  });

  it('refuses calls beyond its concurrency and queue with RESOURCE_EXHAUSTED', async () => {
    const s = spec(
      'nodejs',
      code({ 'f.js': 'module.exports = () => new Promise(r => setTimeout(() => r("done"), 300));' }),
      './f.js',
      { concurrency: 1, pipeline: 1, queueLimit: 2 },
    );
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        run(s, {}).then(
          (r) => String(r.payload),
          (e: DomainError) => e.code,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'done')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'RESOURCE_EXHAUSTED')).toHaveLength(2);
  });

  it('pipelines calls on a busy process, and places again the calls queued behind one that timed out', async () => {
    const s = spec(
      'nodejs',
      code({ 'f.js': 'module.exports = (ctx, p) => { if (p.loop) for (;;) {} return p.i; };' }),
      './f.js',
      { concurrency: 1, pipeline: 3, timeoutMs: 500 },
    );
    await run(s, { i: 0 });
    const [stuck, ...behind] = await Promise.all([
      run(s, { loop: true }),
      run(s, { i: 1 }),
      run(s, { i: 2 }),
    ]);
    expect(stuck?.context.error).toMatchObject({
      type: 'SystemError',
      message: expect.stringContaining('500 ms'),
    });
    // Queued behind the stuck call on the same process, they never ran there: they ran on its successor.
    expect(behind.map((r) => r.payload)).toEqual([1, 2]);
    expect(runtime.processes(s.key)).toBe(1);
  });

  it('scales to zero after its idle time', async () => {
    const s = spec('nodejs', code({ 'hello.js': HELLO_JS }), './hello.js', { idleMs: 200 });
    await run(s, { name: 'a', place: 'b' });
    expect(runtime.processes(s.key)).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(runtime.processes(s.key)).toBe(0);
    expect((await run(s, { name: 'a', place: 'b' })).payload).toEqual({ myField: 'Hello, a from b' });
  });

  it('never brings a retired version back: a late call is told to run the current one', async () => {
    const s = hello();
    await run(s, { name: 'a', place: 'b' });
    await runtime.retire(s.key);
    await expect(run(s, { name: 'a', place: 'b' })).rejects.toBeInstanceOf(VersionRetired);
    expect(runtime.processes(s.key)).toBe(0);
  });
});

describe('image dependencies', () => {
  it('lets a nodejs function require a package from its image', async () => {
    const image = code({});
    mkdirSync(join(image, 'node_modules', 'greet'), { recursive: true });
    writeFileSync(join(image, 'node_modules', 'greet', 'index.js'), 'module.exports = (n) => "hi " + n;');
    const s = spec(
      'nodejs',
      code({ 'f.js': 'const greet = require("greet"); module.exports = (c, p) => greet(p);' }),
      './f.js',
      {
        dependenciesDir: image,
      },
    );
    expect((await run(s, 'Jon')).payload).toBe('hi Jon');
  });

  it('lets a python3 function import a package from its image venv', async () => {
    const image = code({});
    const site = join(image, 'venv', 'lib', 'python3.11', 'site-packages');
    mkdirSync(site, { recursive: true });
    writeFileSync(join(site, 'greet.py'), 'def greet(n):\n    return "hi " + n\n');
    const s = spec(
      'python3',
      code({ 'f.py': 'import greet\ndef handle(c, p):\n    return greet.greet(p)\n' }),
      'f.handle',
      {
        dependenciesDir: image,
      },
    );
    expect((await run(s, 'Jon')).payload).toBe('hi Jon');
  });
});

describe('python3 functions', () => {
  it('runs module.function with the payload and captures print output', async () => {
    const s = spec('python3', code({ 'hello.py': HELLO_PY }), 'hello.handle');
    expect(await run(s, { name: 'Jon', place: 'Winterfell' })).toEqual({
      context: {
        logs: { stdout: ['saying hello to Jon'], stderr: [] },
        error: null,
        durationMs: expect.any(Number),
      },
      payload: { myField: 'Hello, Jon from Winterfell' },
    });
  });

  it('reports an exception as FunctionError with its traceback', async () => {
    const s = spec(
      'python3',
      code({ 'f.py': 'def handle(ctx, p):\n    raise ValueError("bad value")\n' }),
      'f.handle',
    );
    const res = await run(s, 1);
    expect(res.context.error).toMatchObject({ type: 'FunctionError', message: 'bad value' });
    expect(res.context.error?.stacktrace?.join('')).toMatch(/f\.py/);
  });

  it('refuses a missing module or function, naming it', async () => {
    const dir = code({ 'hello.py': HELLO_PY });
    const missingModule = await runtime
      .prepare(spec('python3', dir, 'nope.handle'))
      .catch((e: DomainError) => e.message);
    expect(missingModule).toMatch(/module nope not found/);
    const missingFn = await runtime
      .prepare(spec('python3', dir, 'hello.nope'))
      .catch((e: DomainError) => e.message);
    expect(missingFn).toMatch(/no function nope/);
  });

  it('cuts an endless loop at its timeout, and the next call works', async () => {
    const s = spec(
      'python3',
      code({ 'f.py': 'def handle(ctx, p):\n    while p:\n        pass\n    return "fine"\n' }),
      'f.handle',
      {
        timeoutMs: 500,
      },
    );
    expect((await run(s, true)).context.error?.type).toBe('SystemError');
    expect((await run(s, false)).payload).toBe('fine');
  });
});

describe('java functions', () => {
  const HELLO_JAVA = `import java.util.Map;
import java.util.function.BiFunction;

public class Hello implements BiFunction<Map<String, Object>, Map<String, Object>, Map<String, Object>> {
  public Map<String, Object> apply(Map<String, Object> context, Map<String, Object> payload) {
    if (payload.containsKey("fail")) throw new IllegalStateException("asked to fail");
    System.out.println("saying hello to " + payload.get("name"));
    return Map.of("myField", "Hello, " + payload.get("name") + " from " + payload.get("place"));
  }
}
`;

  it('compiles a BiFunction class and runs it, capturing System.out', async () => {
    const dir = code({ 'Hello.java': HELLO_JAVA });
    expect(await compileFunction('java', dir, undefined, JAVA_UID)).toBeUndefined();
    const s = spec('java', dir, 'Hello', { timeoutMs: 20_000 });
    expect(await run(s, { name: 'Jon', place: 'Winterfell' })).toEqual({
      context: {
        logs: { stdout: ['saying hello to Jon'], stderr: [] },
        error: null,
        durationMs: expect.any(Number),
      },
      payload: { myField: 'Hello, Jon from Winterfell' },
    });
    const failed = await run(s, { fail: true });
    expect(failed.context.error).toMatchObject({ type: 'FunctionError', message: 'asked to fail' });
    expect(failed.context.error?.stacktrace?.join('\n')).toMatch(/Hello\.apply/);
    expect((await run(s, 'not a map')).context.error?.type).toBe('InputError');
  }, 180_000);

  it('reports a compile error and a class that is not a BiFunction', async () => {
    expect(
      await compileFunction(
        'java',
        code({ 'Bad.java': 'public class Bad { int x = ; }' }),
        undefined,
        JAVA_UID,
      ),
    ).toMatch(/javac failed: Bad\.java/);
    const dir = code({ 'Plain.java': 'public class Plain {}' });
    expect(await compileFunction('java', dir, undefined, JAVA_UID)).toBeUndefined();
    const err = await runtime.prepare(spec('java', dir, 'Plain')).catch((e: DomainError) => e.message);
    expect(err).toMatch(/does not implement java.util.function.BiFunction/);
    const missing = await runtime.prepare(spec('java', dir, 'Nope')).catch((e: DomainError) => e.message);
    expect(missing).toMatch(/handler class Nope not found/);
  }, 180_000);
});

describe('what a run may print and answer', () => {
  const LOUD_JS = `module.exports = () => {
  for (let i = 0; i < 8; i++) console.log('o'.repeat(100 * 1024));
  console.error('e'.repeat(10));
  return 'done';
};`;
  const LOUD_PY = `import sys
def handle(c, p):
    for _ in range(8):
        print("o" * (100 * 1024))
    sys.stderr.write("e" * 10 + "\\n")
    return "done"
`;
  const LOUD_JAVA = `import java.util.Map;
import java.util.function.BiFunction;

public class Loud implements BiFunction<Map<String, Object>, Object, String> {
  public String apply(Map<String, Object> context, Object payload) {
    for (int i = 0; i < 8; i++) System.out.println("o".repeat(100 * 1024));
    System.err.println("e".repeat(10));
    return "done";
  }
}
`;
  const limit = 256 * 1024;
  const marker = `[truncated: the run printed more than ${limit} bytes; the rest was dropped]`;

  it.each([
    ['nodejs', () => spec('nodejs', code({ 'f.js': LOUD_JS }), './f.js')],
    ['python3', () => spec('python3', code({ 'f.py': LOUD_PY }), 'f.handle')],
  ] as const)('keeps a %s run to its log limit, stdout and stderr together, and says so', async (_, make) => {
    const res = await runtime.invoke(make(), { context: {}, payload: null, logLimitBytes: limit });
    expect(res.payload).toBe('done');
    expect(res.context.logs.truncated).toBe(true);
    expect(res.context.logs.stdout.at(-1)).toBe(marker);
    expect(res.context.logs.stdout.slice(0, -1).join('\n').length).toBeLessThanOrEqual(limit);
    // The budget was spent on stdout: stderr's line is dropped, and marked too.
    expect(res.context.logs.stderr).toEqual([marker]);
  });

  const SLOW_JS = `module.exports = async () => {
  console.log('first');
  await new Promise((r) => setTimeout(r, 400));
  console.error('second');
  return 'done';
};`;
  const SLOW_PY = `import sys, time
def handle(c, p):
    print("first")
    time.sleep(0.4)
    sys.stderr.write("second\\n")
    return "done"
`;

  const SLOW_JAVA = `import java.util.Map;
import java.util.function.BiFunction;

public class Slow implements BiFunction<Map<String, Object>, Object, String> {
  public String apply(Map<String, Object> context, Object payload) {
    System.out.println("first");
    try { Thread.sleep(400); } catch (InterruptedException e) { throw new RuntimeException(e); }
    System.err.println("second");
    return "done";
  }
}
`;

  it.each([
    ['nodejs', async () => spec('nodejs', code({ 'f.js': SLOW_JS }), './f.js')],
    ['python3', async () => spec('python3', code({ 'f.py': SLOW_PY }), 'f.handle')],
    [
      'java',
      async () => {
        const dir = code({ 'Slow.java': SLOW_JAVA });
        expect(await compileFunction('java', dir, undefined, JAVA_UID)).toBeUndefined();
        return spec('java', dir, 'Slow', { timeoutMs: 20_000 });
      },
    ],
  ] as const)(
    'passes on what a %s run prints as it prints it, when asked',
    async (_, make) => {
      const fn = await make();
      await runtime.invoke(fn, { context: {}, payload: null }); // warm: the timing below is the run's
      const heard: { stream: string; text: string; at: number }[] = [];
      const started = performance.now();
      const res = await runtime.invoke(fn, {
        context: {},
        payload: null,
        onLog: (stream, text) => heard.push({ stream, text, at: performance.now() - started }),
      });
      const finished = performance.now() - started;
      expect(res.payload).toBe('done');
      expect(heard.map((h) => [h.stream, h.text.trim()]).filter(([, t]) => t)).toEqual([
        ['stdout', 'first'],
        ['stderr', 'second'],
      ]);
      // The first line came while the run still had its 400 ms to go.
      expect(finished - (heard[0]?.at ?? finished)).toBeGreaterThan(300);
      // The answer holds the whole of the logs still.
      expect(res.context.logs).toMatchObject({ stdout: ['first'], stderr: ['second'] });
    },
    180_000,
  );

  it('passes on no more than the run may print, whatever its runner sends', async () => {
    const fn = spec('nodejs', code({ 'f.js': LOUD_JS }), './f.js');
    let heard = 0;
    const res = await runtime.invoke(fn, {
      context: {},
      payload: null,
      logLimitBytes: limit,
      onLog: (_stream, text) => (heard += text.length),
    });
    expect(res.payload).toBe('done');
    expect(heard).toBe(limit);
  });

  it('keeps a java run to its log limit', async () => {
    const dir = code({ 'Loud.java': LOUD_JAVA });
    expect(await compileFunction('java', dir, undefined, JAVA_UID)).toBeUndefined();
    const res = await runtime.invoke(spec('java', dir, 'Loud', { timeoutMs: 20_000 }), {
      context: {},
      payload: null,
      logLimitBytes: limit,
    });
    expect(res.payload).toBe('done');
    expect(res.context.logs).toMatchObject({ truncated: true, stderr: [marker] });
    expect(res.context.logs.stdout.at(-1)).toBe(marker);
  }, 180_000);

  it('fails a run whose answer is over 16 MB, and replaces its process', async () => {
    const s = spec(
      'nodejs',
      code({ 'f.js': `module.exports = (c, p) => (p.big ? 'x'.repeat(20 * 1024 * 1024) : 'small');` }),
      './f.js',
    );
    const res = await run(s, { big: true });
    expect(res.context.error).toMatchObject({
      type: 'SystemError',
      message: "the function's answer is over 16 MB (its output and logs)",
    });
    expect((await run(s, { big: false })).payload).toBe('small');
  });

  it("keeps runners' sockets in the directory it is given, which only its user may enter", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dispatch-data-')), 'runners');
    const own = new ProcessRuntime({ socketsDir: dir });
    try {
      const s = spec('nodejs', code({ 'f.js': 'module.exports = () => "here";' }), './f.js');
      expect((await own.invoke(s, { context: {}, payload: null })).payload).toBe('here');
      expect(readdirSync(dir).some((entry) => entry.startsWith('nodejs-'))).toBe(true);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    } finally {
      await own.close();
    }
  });
});

// Sandboxing needs root (namespaces, per-function users); elsewhere functions run as the caller.
const asRoot = process.getuid?.() === 0;

describe('sandbox', () => {
  (asRoot ? it : it.skip)(
    "runs each function as its own user, unable to read another function's code",
    async () => {
      const secret = code({ 'f.js': 'module.exports = () => "mine";', 'secret.txt': 'the password' });
      const reader = (language: 'nodejs' | 'python3') =>
        language === 'nodejs'
          ? spec(
              'nodejs',
              code({
                'f.js': `const fs = require('fs');
module.exports = (c, p) => {
  const own = fs.readFileSync(__dirname + '/own.txt', 'utf8');
  try { return { uid: process.getuid(), own, other: fs.readFileSync(p, 'utf8') }; }
  catch (e) { return { uid: process.getuid(), own, error: e.code }; }
};`,
                'own.txt': 'readable',
              }),
              './f.js',
              { identity: 'reader-js' },
            )
          : spec(
              'python3',
              code({
                'f.py': `import os
def handle(c, p):
    own = open(os.path.join(os.path.dirname(__file__), "own.txt")).read()
    try:
        return {"uid": os.getuid(), "own": own, "other": open(p).read()}
    except OSError as e:
        return {"uid": os.getuid(), "own": own, "error": type(e).__name__}
`,
                'own.txt': 'readable',
              }),
              'f.handle',
              { identity: 'reader-py' },
            );
      const owner = spec('nodejs', secret, './f.js', { identity: 'owner' });
      expect((await run(owner, null)).payload).toBe('mine');
      const js = (await run(reader('nodejs'), join(secret, 'secret.txt'))).payload as Record<string, unknown>;
      const py = (await run(reader('python3'), join(secret, 'secret.txt'))).payload as Record<
        string,
        unknown
      >;
      // Not there (another mount namespace) or not allowed (another user): either way, not read.
      expect(js).toMatchObject({ own: 'readable' });
      expect(['EACCES', 'ENOENT']).toContain(js['error']);
      expect(py).toMatchObject({ own: 'readable' });
      expect(['PermissionError', 'FileNotFoundError']).toContain(py['error']);
      expect(js['uid']).not.toBe(0);
      expect(py['uid']).not.toBe(0);
      expect(js['uid']).not.toBe(py['uid']);
    },
  );

  (asRoot ? it : it.skip)('gives each function a private /tmp', async () => {
    const writer = spec(
      'nodejs',
      code({
        'f.js': `const fs = require('fs'); module.exports = (c, p) => { fs.writeFileSync('/tmp/note', p); return fs.readdirSync('/tmp'); };`,
      }),
      './f.js',
      { identity: 'writer' },
    );
    const looker = spec(
      'nodejs',
      code({ 'f.js': `module.exports = () => require('fs').readdirSync('/tmp');` }),
      './f.js',
      { identity: 'looker' },
    );
    expect((await run(writer, 'hello')).payload).toEqual(['note']);
    expect((await run(looker, null)).payload).toEqual([]);
  });
});

describe('spare runners', () => {
  let spares: ProcessRuntime;
  beforeAll(() => {
    spares = new ProcessRuntime();
  });
  afterAll(() => spares.close());

  /** Resolves once a spare of the language is up (the first cold start of a kind begins one). */
  const spareUp = async (language: Language = 'nodejs') => {
    for (let i = 0; i < 150 && spares.spareRunnersOf(language) === 0; i += 1)
      await new Promise((r) => setTimeout(r, 100));
    expect(spares.spareRunnersOf(language)).toBeGreaterThan(0);
  };
  const runIn = (s: FunctionSpec, payload: unknown) => spares.invoke(s, { context: {}, payload });

  // What a function can find out about how it was started and what it may do.
  const INSPECT_JS = `const fs = require('fs');
module.exports = () => {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const field = (name) => status.split('\\n').find((l) => l.startsWith(name + ':')).split(/\\s+/).slice(1);
  const mount = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').find((l) => l.split(' ')[4] === '/mnt/function');
  let write = 'written';
  try { fs.writeFileSync(__filename, 'changed'); } catch (e) { write = e.code; }
  let root = 'became root';
  try { process.setuid(0); } catch (e) { root = e.code; }
  return {
    code: fs.readFileSync(__dirname + '/data/note.txt', 'utf8'),
    codeFs: mount.split(' - ')[1].split(' ')[0],
    uids: field('Uid'), capEff: field('CapEff')[0], capPrm: field('CapPrm')[0], noNewPrivs: field('NoNewPrivs')[0],
    write, root, tmp: fs.readdirSync('/tmp'),
  };
};`;
  const inspect = (uid: number) => spec('nodejs', code({ 'f.js': INSPECT_JS }), './f.js', { uid });
  const withNote = (s: FunctionSpec) => {
    mkdirSync(join(s.codeDir, 'data'));
    writeFileSync(join(s.codeDir, 'data', 'note.txt'), 'from the code');
    return s;
  };

  it('starts a cold function in a spare, with its code, as its own user, holding no capability', async () => {
    expect(
      (await runIn(spec('nodejs', code({ 'f.js': 'module.exports = () => 1;' }), './f.js'), null)).payload,
    ).toBe(1);
    await spareUp();
    const res = await runIn(withNote(inspect(2_100_000_701)), null);
    const got = res.payload as Record<string, unknown>;
    expect(res.context.error).toBeNull();
    // Its code was written into its sandbox (a tmpfs), not mounted from the host.
    expect(got).toMatchObject({ code: 'from the code', codeFs: 'tmpfs', noNewPrivs: '1', tmp: [] });
    if (asRoot) {
      const uid = String(2_100_000_701);
      expect(got['uids']).toEqual([uid, uid, uid, uid]);
      expect(got).toMatchObject({ capEff: '0000000000000000', capPrm: '0000000000000000', root: 'EPERM' });
      // Written by the runner before it became the function's user: the function cannot change it.
      expect(got['write']).toBe('EACCES');
    }
  });

  it('hands a spare to one function only: the next starts in another, with nothing of the first', async () => {
    const leaver = spec(
      'nodejs',
      code({
        'f.js': `module.exports = () => { require('fs').writeFileSync('/tmp/left', 'x'); return process.pid; };`,
      }),
      './f.js',
      { uid: 2_100_000_703 },
    );
    await spareUp();
    await runIn(leaver, null);
    await spareUp();
    const res = await runIn(withNote(inspect(2_100_000_702)), null);
    expect(res.payload).toMatchObject({ codeFs: 'tmpfs', tmp: [] });
    // The leaver's process is still up (warm), and the next function's user is not its user.
    expect(spares.processes(leaver.key)).toBe(1);
  });

  it('refuses a missing handler from a spare as from a start of its own', async () => {
    await spareUp();
    const s = spec('nodejs', code({ 'f.js': 'module.exports = () => 1;' }), './nope.js');
    await expect(runIn(s, null)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('handler file ./nope.js not found'),
    });
  });

  it('starts python3 functions in a spare too, as their own user', async () => {
    const py = (uid: number) =>
      spec(
        'python3',
        code({
          'f.py': `import os
def handle(c, p):
    mounts = [l.split(" ") for l in open("/proc/self/mountinfo")]
    fs = [m[m.index("-") + 1] for m in mounts if m[4] == "/mnt/function"][0]
    return {"uids": list(os.getresuid()), "fs": fs}
`,
        }),
        'f.handle',
        { uid },
      );
    await runIn(py(2_100_000_704), null);
    await spareUp('python3');
    const res = (await runIn(py(2_100_000_705), null)).payload as { uids: number[]; fs: string };
    expect(res.fs).toBe('tmpfs');
    if (asRoot) expect(res.uids).toEqual(Array(3).fill(2_100_000_705));
  });

  it('starts a function whose code is too big to send in a runner of its own, its code mounted', async () => {
    await spareUp();
    const s = withNote(inspect(2_100_000_706));
    writeFileSync(join(s.codeDir, 'data', 'big.bin'), Buffer.alloc(5 * 1024 * 1024));
    const res = await runIn(s, null);
    expect(res.payload).toMatchObject({ code: 'from the code' });
    expect((res.payload as { codeFs: string }).codeFs).not.toBe('tmpfs');
  });
});
