// The nodejs language runner: serves the runtime protocol (libs/runtime/src/lib/protocol.ts) on the unix
// socket in DISPATCH_RUNNER_SOCKET or the TCP port in DISPATCH_RUNNER_PORT (in a container).
// Plain JavaScript with no dependencies, so it starts fast and runs the same in a container image.
import { mkdirSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { Module, createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { Worker } from 'node:worker_threads';

let fn;
let capture;

/** What a run keeps of its output unless the host says otherwise (DEFAULT_LOG_LIMIT_BYTES). */
const DEFAULT_LOG_LIMIT = 1024 * 1024;

// Whatever the function prints during a run goes to that run's logs, split into lines, up to the run's
// limit (stdout and stderr together); past it, output is dropped and the stream marked cut.
for (const [stream, name] of [
  [process.stdout, 'stdout'],
  [process.stderr, 'stderr'],
]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    if (!capture) return write(chunk, ...rest);
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    const kept = text.length <= capture.left ? text : text.slice(0, capture.left);
    capture[name] += kept;
    capture.left -= kept.length;
    if (kept.length < text.length) capture.cut[name] = true;
    // A run someone follows: what it prints goes to the host as it is printed, too.
    if (kept !== '' && capture.notify)
      capture.notify({ jsonrpc: '2.0', method: 'log', params: { stream: name, text: kept } });
    const callback = rest.find((r) => typeof r === 'function');
    callback?.();
    return true;
  };
}
const lines = (text) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

/** The run's logs, with the line saying so on a stream that was cut (see logTruncatedLine). */
function logsOf({ stdout, stderr, cut, limit }) {
  const logs = { stdout: lines(stdout), stderr: lines(stderr) };
  const marker = `[truncated: the run printed more than ${limit} bytes; the rest was dropped]`;
  if (cut.stdout) logs.stdout.push(marker);
  if (cut.stderr) logs.stderr.push(marker);
  if (cut.stdout || cut.stderr) logs.truncated = true;
  return logs;
}

function errorOf(type, err) {
  const message = err instanceof Error ? err.message : format('%s', err);
  const stack = err instanceof Error && err.stack ? err.stack.split('\n') : [];
  return { type, message, stacktrace: stack };
}

/**
 * A spare runner's function arrives with its init: the code is written into the (empty) code directory,
 * then, as root, the runner becomes the function's user for good, before any of the code runs.
 */
function adopt(codeDir, files, user) {
  if (files) {
    for (const { path, content, executable } of files) {
      const file = resolve(codeDir, path);
      if (isAbsolute(path) || !file.startsWith(codeDir + sep))
        throw new Error(`code file ${path} is outside the code`);
      mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
      writeFileSync(file, Buffer.from(content, 'base64'), { mode: executable ? 0o755 : 0o644, flag: 'wx' });
    }
  }
  if (user !== undefined) {
    process.setgroups([]);
    process.setgid(user);
    process.setuid(user);
    if (process.getuid() !== user || process.geteuid() !== user)
      throw new Error(`could not become user ${user}`);
  }
}

async function init({ codeDir, handler, dependenciesDir, files, user }) {
  if (typeof handler !== 'string' || handler === '')
    throw new Error('no handler given: name the file, e.g. ./hello.js');
  adopt(codeDir, files, user);
  const file = resolve(codeDir, handler);
  if (isAbsolute(handler) || !(file === codeDir || file.startsWith(codeDir + sep))) {
    throw new Error(`handler ${handler} is outside the function's code`);
  }
  if (dependenciesDir) {
    // The image's packages resolve like NODE_PATH entries; a spare runner learns them only now.
    process.env.NODE_PATH = join(dependenciesDir, 'node_modules');
    Module._initPaths();
  }
  let mod;
  try {
    // CommonJS first (`module.exports = function ...`, as the original Dispatch's functions are written),
    // an ES module when the file is one.
    mod = { default: createRequire(file)(file) };
  } catch (err) {
    if (err?.code === 'MODULE_NOT_FOUND' && err.message.includes(file))
      throw new Error(`handler file ${handler} not found`);
    if (err?.code !== 'ERR_REQUIRE_ESM')
      throw new Error(`handler ${handler} failed to load: ${err?.message ?? err}`);
    try {
      mod = await import(pathToFileURL(file).href);
    } catch (esmErr) {
      throw new Error(`handler ${handler} failed to load: ${esmErr?.message ?? esmErr}`);
    }
  }
  const exported =
    typeof mod.default === 'function'
      ? mod.default
      : typeof mod.handle === 'function'
        ? mod.handle
        : mod.default?.handle;
  if (typeof exported !== 'function') {
    throw new Error(
      `handler ${handler} exports no function: use module.exports = function (context, params) {...}`,
    );
  }
  fn = exported;
}

async function run({ context, payload, deadlineMs, logLimitBytes, streamLogs }, notify) {
  const deadline = deadlineMs > 0 ? watchdog().start(deadlineMs) : undefined;
  try {
    const limit = logLimitBytes > 0 ? logLimitBytes : DEFAULT_LOG_LIMIT;
    return await runOnce(context, payload, limit, streamLogs === true ? notify : undefined);
  } finally {
    deadline?.();
  }
}

let dog;
/**
 * Ends the process when a run passes its deadline, from a thread of its own, since a function stuck in
 * a loop never yields to this one's timers. Only a runner no host can stop (in a container) is sent
 * deadlines.
 */
function watchdog() {
  if (dog) return dog;
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const { writeFileSync, writeSync } = require('node:fs');
     const timers = new Map();
     parentPort.on('message', ({ id, ms }) => {
       if (ms === undefined) return clearTimeout(timers.get(id)), timers.delete(id);
       timers.set(id, setTimeout(() => {
         const reason = 'the function did not finish within ' + ms + ' ms';
         writeSync(2, reason + '\\n'); // fd 2 itself: the main thread, stuck, forwards nothing
         try { writeFileSync('/dev/termination-log', reason); } catch {}
         process.kill(process.pid, 'SIGKILL');
       }, ms));
     });`,
    { eval: true },
  );
  worker.unref();
  let next = 0;
  dog = {
    start(ms) {
      const id = ++next;
      worker.postMessage({ id, ms });
      return () => worker.postMessage({ id });
    },
  };
  return dog;
}

async function runOnce(context, payload, limit, notify) {
  capture = { stdout: '', stderr: '', left: limit, limit, cut: { stdout: false, stderr: false }, notify };
  let result = null;
  let error = null;
  const started = performance.now();
  try {
    result = await fn({ ...context }, payload);
    if (result === undefined) result = null;
  } catch (err) {
    error = errorOf(err?.name === 'InputError' ? 'InputError' : 'FunctionError', err);
  }
  const durationMs = performance.now() - started;
  const logs = logsOf(capture);
  capture = undefined;
  try {
    return JSON.stringify({ context: { logs, error, durationMs }, payload: error ? null : result });
  } catch (err) {
    return JSON.stringify({
      context: {
        logs,
        error: errorOf('FunctionError', new Error(`the result is not JSON: ${err.message}`)),
        durationMs,
      },
      payload: null,
    });
  }
}

const METHODS = {
  init: async (params) => (await init(params), {}),
  run: (params, notify) => run(params, notify),
};

/** One request line's answer; `notify` sends a notification line (a run's output) before it. */
async function answer(line, notify) {
  let id = null;
  try {
    const request = JSON.parse(line);
    id = request.id ?? null;
    const method = METHODS[request.method];
    if (!method)
      return { jsonrpc: '2.0', id, error: { code: -32601, message: `no method ${request.method}` } };
    if (request.method === 'run' && !fn) throw new Error('the runner has no function: init first');
    return { jsonrpc: '2.0', id, result: await method(request.params ?? {}, notify) };
  } catch (err) {
    const code = err instanceof SyntaxError && id === null ? -32700 : 1;
    return { jsonrpc: '2.0', id, error: { code, message: err?.message ?? String(err) } };
  }
}

/** Each newline-terminated line of the host's requests: node:readline's machinery is not needed here. */
function onLines(stream, onLine) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const text = rest === '' ? chunk : rest + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      onLine(text.slice(start, end));
      start = end + 1;
    }
    rest = text.slice(start);
  });
}

// One JSON-RPC request per line, answered in order, one invocation at a time for the whole process (a
// run's output capture is the process's): in a container several connections share the runner.
let previous = Promise.resolve();
let pending = 0;
const connections = new Set();
const server = createServer((connection) => {
  connections.add(connection);
  connection.on('close', () => connections.delete(connection));
  onLines(connection, (line) => {
    pending += 1;
    const notify = (message) => {
      if (!connection.destroyed) connection.write(JSON.stringify(message) + '\n');
    };
    previous = previous.then(async () => {
      const response = await answer(line, notify);
      pending -= 1;
      // The run's result arrives already serialised: splice it in rather than parse and stringify again.
      const text =
        'result' in response && typeof response.result === 'string'
          ? `{"jsonrpc":"2.0","id":${JSON.stringify(response.id)},"result":${response.result}}`
          : JSON.stringify(response);
      if (connection.destroyed) return;
      // Answers finished in the same turn of the event loop leave in one write (one wakeup of the host).
      if (!connection.writableCorked) {
        connection.cork();
        setImmediate(() => connection.uncork());
      }
      connection.write(text + '\n');
    });
  });
  connection.on('error', () => undefined);
});

const socket = process.env.DISPATCH_RUNNER_SOCKET;
if (socket) {
  // Standard input is a pipe from the host that is never written: its end means the host is gone,
  // however it went, and a runner has no reason to outlive it.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
  // The host waits for this line on fd 3 before connecting.
  server.listen(socket, () => writeSync(3, 'ready\n'));
} else {
  await serveInContainer();
}

/**
 * Container mode (deploy/runners): the function named by the environment is loaded before the port
 * opens, so an open port means a loaded function (the pod's readiness check). A function that does not
 * load ends the container with the reason, which Kubernetes shows as its termination message.
 */
async function serveInContainer() {
  try {
    if (!process.env.DISPATCH_FUNCTION_HANDLER)
      throw new Error("DISPATCH_FUNCTION_HANDLER is not set: name the function's handler, e.g. ./hello.js");
    await init({
      codeDir: process.env.DISPATCH_FUNCTION_CODE_DIR || '/function/code',
      handler: process.env.DISPATCH_FUNCTION_HANDLER,
      dependenciesDir: process.env.DISPATCH_FUNCTION_DEPENDENCIES_DIR || undefined,
    });
  } catch (err) {
    const reason = err?.message ?? String(err);
    process.stderr.write(`${reason}\n`);
    try {
      writeFileSync('/dev/termination-log', reason);
    } catch {
      // Not on Kubernetes: standard error says it.
    }
    process.exit(1);
  }
  server.listen(Number(process.env.DISPATCH_RUNNER_PORT ?? 8080), '0.0.0.0');
  // Stopping (scale down, rollout): take no new connection, answer the calls already sent, then exit.
  process.once('SIGTERM', () => {
    server.close();
    const deadline = Date.now() + 25_000;
    const drain = () => {
      if (pending > 0 && Date.now() < deadline) return setTimeout(drain, 20);
      // Each connection ends once its last answer is written; then nothing is left to do.
      setImmediate(() => {
        for (const connection of connections) connection.end();
        const exit = () => connections.size === 0 && process.exit(0);
        for (const connection of connections) connection.on('close', exit);
        exit();
        setTimeout(() => process.exit(0), 2_000).unref();
      });
    };
    drain();
  });
}
