// Starting and stopping the real dependencies (etcd, Kafka) as background processes owned by a pid
// file, so a test run, a developer's shell and CI all start and stop them the same way.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE = process.env.DISPATCH_TOOLS_CACHE ?? join(ROOT, '.cache');
export const RUN_DIR = join(CACHE, 'run');
/**
 * What is slow to build and the same for every clone (Go binaries, image bases), kept outside the
 * clone and named by version, so CI and later clones on the same machine reuse it.
 */
export const BUILD_CACHE = process.env.DISPATCH_BUILD_CACHE ?? join(homedir(), '.cache', 'dispatch');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function log(message) {
  process.stderr.write(`[tools] ${message}\n`);
}

export function have(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs Debian packages when a command is missing (or `present` says what is missing is there); the
 * machine's root user can.
 */
export function aptInstall(command, packages, present = () => have(command)) {
  if (present()) return;
  log(`${command} is missing: installing ${packages.join(' ')} from Debian`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args) => {
    const res = spawnSync(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), { stdio: 'inherit' });
    if (res.status !== 0)
      throw new Error(`'${args.join(' ')}' failed; install ${packages.join(' ')} by hand`);
  };
  process.env.DEBIAN_FRONTEND = 'noninteractive';
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', ...packages]);
  if (!present()) throw new Error(`${command} still missing after installing ${packages.join(' ')}`);
}

export function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolvePromise) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

export async function waitFor(what, probe, timeoutMs, daemon) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (daemon && !daemon.alive()) throw new Error(`${what} exited while starting; see ${daemon.logFile}`);
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(
    `${what} did not answer within ${timeoutMs / 1000}s${daemon ? `; see ${daemon.logFile}` : ''}`,
  );
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A server that exited but whose parent has not reaped it yet (the test runner, blocked in spawnSync
  // while the suites run) is a zombie: gone, though signals still reach its pid.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** A background server known by name: its pid file and log live under .cache/run. */
export class Daemon {
  constructor(name) {
    this.name = name;
    this.pidFile = join(RUN_DIR, `${name}.pid`);
    this.logFile = join(RUN_DIR, `${name}.log`);
  }

  pid() {
    if (!existsSync(this.pidFile)) return undefined;
    const pid = Number.parseInt(readFileSync(this.pidFile, 'utf8'), 10);
    return Number.isInteger(pid) && pidAlive(pid) ? pid : undefined;
  }

  alive() {
    return this.pid() !== undefined;
  }

  start(command, args, options = {}) {
    mkdirSync(RUN_DIR, { recursive: true });
    const out = openSync(this.logFile, 'w');
    // Detached into its own process group, so stop() can end the server and anything it started.
    const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    child.unref();
    writeFileSync(this.pidFile, String(child.pid));
    return child.pid;
  }

  async stop(graceMs = 15_000) {
    const pid = this.pid();
    if (pid === undefined) {
      rmSync(this.pidFile, { force: true });
      return false;
    }
    const signal = (sig) => {
      try {
        process.kill(-pid, sig);
      } catch {
        try {
          process.kill(pid, sig);
        } catch {
          // already gone
        }
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (pidAlive(pid) && Date.now() < deadline) await sleep(100);
    if (pidAlive(pid)) signal('SIGKILL');
    while (pidAlive(pid)) await sleep(50);
    rmSync(this.pidFile, { force: true });
    return true;
  }
}

/** `node tools/x.js start|stop|restart|status` for a server module exporting start/stop/status. */
export async function cli(server) {
  const verb = process.argv[2] ?? 'start';
  try {
    switch (verb) {
      case 'start':
        console.log(await server.start());
        break;
      case 'stop':
        await server.stop();
        break;
      case 'restart':
        await server.stop();
        console.log(await server.start());
        break;
      case 'status':
        console.log(server.status());
        break;
      default:
        throw new Error(`unknown command '${verb}': use start, stop, restart or status`);
    }
  } catch (err) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
}
