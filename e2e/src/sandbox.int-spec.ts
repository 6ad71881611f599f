import { execFileSync } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Header } from 'tar';
import type { Run } from '@dispatch/contracts';
import { startDistributedSession } from './distributed-session.js';
import { startInternet, type Internet } from './internet.js';
import { ROOT } from './processes.js';
import type { Session } from './session.js';
import { DISTRIBUTED_SHAPES, SHAPES } from './shapes.js';
import { startSoloSession } from './solo-session.js';

/**
 * Tenants' code, tried as an attacker would: a function, an image build and an event-driver program
 * each try to read the platform's data directory and keys, another tenant's code and the sandbox's
 * first process's environment; to reach the API, etcd, Kafka and the gateway on the host's loopback
 * (and, with the services in containers, where the containers reach them: the host's address for them,
 * each service by name);
 * to exceed their memory and process limits; to leave a process running after they are deleted and a
 * file for the next tenant. Every attempt must fail, while the function still reaches "the internet"
 * (a server in a network namespace of its own) and the build still installs from the registries. Run
 * with solo as root, solo as an ordinary user, and the services.
 */

/** Probes in JavaScript, for a function (module.exports) and a driver program (printed as an event). */
const PROBES_JS = `
const fs = require('fs');
const net = require('net');
const { spawn } = require('child_process');
const read = (p) => { try { return 'READ:' + fs.readFileSync(p, 'utf8').slice(0, 60); } catch (e) { return e.code; } };
const list = (p) => { try { return 'LISTED:' + fs.readdirSync(p).join(','); } catch (e) { return e.code; } };
const KAFKA_API_VERSIONS = Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);
const connect = (host, port, kafka) => new Promise((r) => {
  const s = net.connect({ host, port });
  s.setTimeout(2000);
  s.on('connect', () => s.write(kafka ? KAFKA_API_VERSIONS : 'GET / HTTP/1.0\\r\\n\\r\\n'));
  s.on('data', () => { s.destroy(); r('ANSWERED'); });
  s.on('end', () => r('CONNECTED-NO-ANSWER'));
  s.on('error', (e) => r(e.code));
  s.on('timeout', () => { s.destroy(); r('TIMEOUT'); });
});
async function probe(p) {
  const out = {};
  out.secretsKey = read(p.dataDir + '/secrets.key');
  out.adminKey = read(p.dataDir + '/admin.key');
  out.metricsToken = read(p.dataDir + '/metrics.token');
  out.dataDir = list(p.dataDir);
  out.otherCode = read(p.victimFile);
  out.environ = read('/proc/1/environ');
  out.shadow = read('/etc/shadow');
  out.hostHome = read('/root/.npmrc');
  out.repository = list(p.repository);
  out.loopback = {};
  for (const [name, port] of Object.entries(p.ports)) {
    out.loopback[name] = await connect('127.0.0.1', port, name.startsWith('kafka'));
    out.loopback[name + 'ViaNat'] = await connect('10.0.2.2', port, name.startsWith('kafka'));
  }
  for (const { name, host, port } of p.platform) out.loopback[name + '@' + host] = await connect(host, port, name === 'kafka');
  if (p.internet) out.internet = await fetch(p.internet, { signal: AbortSignal.timeout(10000) }).then((r) => r.text(), (e) => 'ERR ' + (e.cause?.code ?? e.message));
  if (p.leave) {
    spawn('sleep', [p.marker], { detached: true, stdio: 'ignore' }).unref();
    for (const dir of ['/tmp/', '/dev/shm/', '/var/tmp/']) { try { fs.writeFileSync(dir + 'left-' + p.marker, 'x'); } catch (e) {} }
  }
  if (p.look) out.leftovers = ['/tmp/', '/dev/shm/', '/var/tmp/'].filter((d) => fs.existsSync(d + 'left-' + p.marker));
  if (p.processes) {
    let n = 0;
    for (; n < p.processes; n += 1) {
      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      const failed = await new Promise((r) => { child.once('spawn', () => r(false)); child.once('error', () => r(true)); });
      if (failed) break;
    }
    out.processes = n;
  }
  if (p.memoryMb) {
    const held = [];
    try { for (let i = 0; i < p.memoryMb / 64; i += 1) held.push(Buffer.alloc(64 * 1024 * 1024, 1)); } catch (e) { out.memoryError = e.message; }
    out.memoryMb = held.length * 64;
  }
  return out;
}
`;

const FUNCTION = `${PROBES_JS}\nmodule.exports = (context, params) => probe(params);\n`;

/**
 * A driver program an operator installed: it runs the probes its setting names and emits the result.
 * Node is found on the sandbox's PATH: where the host keeps it is not where an image does.
 */
const DRIVER = `#!/usr/bin/env node
${PROBES_JS.replace("const fs = require('fs');", "import fs from 'node:fs';").replace("const net = require('net');", "import net from 'node:net';").replace("const { spawn } = require('child_process');", "import { spawn } from 'node:child_process';")}
const params = JSON.parse(Buffer.from(process.argv.find((a) => a.startsWith('--probe=')).slice(8), 'base64').toString());
const results = await probe(params);
console.log(JSON.stringify({ specversion: '1.0', type: 'probe.done', source: 'probe', id: 'probe-' + Date.now(), data: results }));
setInterval(() => {}, 1000);
`;

/** The same probes in Python, run by a package's setup.py while an image is built. */
const SETUP_PY = (params: unknown) => `
import json, os, socket, subprocess
p = json.loads(${JSON.stringify(JSON.stringify(params))})
def read(path):
    try:
        with open(path) as f: return 'READ:' + f.read(60)
    except OSError as e: return type(e).__name__
def listdir(path):
    try: return 'LISTED:' + ','.join(os.listdir(path))
    except OSError as e: return type(e).__name__
def connect(host, port, kafka):
    try:
        s = socket.create_connection((host, port), timeout=2)
    except OSError as e: return type(e).__name__
    try:
        s.sendall(bytes([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 255, 255]) if kafka else b'GET / HTTP/1.0\\r\\n\\r\\n')
        return 'ANSWERED' if s.recv(1) else 'CONNECTED-NO-ANSWER'
    except OSError as e: return 'CONNECTED-' + type(e).__name__
    finally: s.close()
out = {'secretsKey': read(p['dataDir'] + '/secrets.key'), 'adminKey': read(p['dataDir'] + '/admin.key'),
       'metricsToken': read(p['dataDir'] + '/metrics.token'),
       'dataDir': listdir(p['dataDir']), 'otherCode': read(p['victimFile']), 'environ': read('/proc/1/environ'),
       'shadow': read('/etc/shadow'), 'hostHome': read('/root/.npmrc'), 'repository': listdir(p['repository']), 'loopback': {}}
for name, port in p['ports'].items():
    out['loopback'][name] = connect('127.0.0.1', port, name.startswith('kafka'))
    out['loopback'][name + 'ViaNat'] = connect('10.0.2.2', port, name.startswith('kafka'))
for target in p['platform']:
    out['loopback'][target['name'] + '@' + target['host']] = connect(target['host'], target['port'], target['name'] == 'kafka')
subprocess.Popen(['sleep', p['marker']], start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
n = 0
children = []
try:
    for n in range(p['processes']):
        children.append(subprocess.Popen(['sleep', '10']))
except OSError:
    pass
out['processes'] = len(children)
for child in children: child.kill()
for child in children: child.wait()
mem = subprocess.run(['python3', '-c', 'b = bytearray(%d * 1024 * 1024); print(len(b))' % p['memoryMb']], capture_output=True)
out['memoryChild'] = mem.returncode
os.makedirs('evil', exist_ok=True)
with open(os.path.join('evil', '__init__.py'), 'w') as f: f.write('RESULTS = ' + repr(out) + '\\n')
from setuptools import setup
setup(name='evil', version='1.0', packages=['evil'])
`;

/** A tar entry's header and data, padded to a block. */
function tarEntry(path: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  new Header({ path, mode: 0o644, size: data.length, type: 'File', mtime: new Date(0) }).encode(header);
  return Buffer.concat([header, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** Whether a process with this command line runs anywhere on the host. */
function hostRuns(marker: string): boolean {
  return execFileSync('ps', ['-eo', 'args'])
    .toString()
    .split('\n')
    .some((l) => l.trim() === `sleep ${marker}`);
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Set in Dispatch's own environment: no tenant program may see it. */
const CANARY = `canary-${randomInt(1_000_000, 9_999_999)}`;

/** What every probe of the host must have found: nothing. */
function expectNothingOfTheHost(found: Record<string, unknown>): void {
  // The sandbox's first process is the sandbox's own (not readable, or holding the program's own
  // environment): never Dispatch's, nor the host's first process.
  expect(String(found['environ'])).not.toContain(CANARY);
  for (const key of ['secretsKey', 'adminKey', 'metricsToken', 'otherCode', 'shadow', 'hostHome'])
    expect({ key, found: String(found[key]) }).toEqual({ key, found: expect.not.stringMatching(/^READ:/) });
  for (const key of ['dataDir', 'repository'])
    expect({ key, found: String(found[key]) }).toEqual({ key, found: expect.not.stringMatching(/^LISTED:/) });
  for (const [name, result] of Object.entries(found['loopback'] as Record<string, string>))
    // Reaching is being answered: slirp4netns now and then completes a handshake to its host alias that
    // leads nowhere (a write on it fails), which is no way in; a service that answers is.
    expect({ name, result }).toEqual({ name, result: expect.not.stringMatching(/^ANSWERED$/) });
}

const asRoot = process.getuid?.() === 0;
const shapes: [string, () => Promise<Session>][] = [];
if (SHAPES.includes('solo')) {
  shapes.push(['solo as root', () => startSoloSession('sandbox', [], { SANDBOX_TEST_CANARY: CANARY })]);
  shapes.push([
    'solo as an ordinary user',
    () => startSoloSession('sandbox-user', [], { SANDBOX_TEST_CANARY: CANARY }, { uid: 65534, gid: 65534 }),
  ]);
}
for (const { name, containers } of DISTRIBUTED_SHAPES)
  shapes.push([
    `${name} on etcd and Kafka, behind nginx`,
    () =>
      startDistributedSession(
        'sandbox',
        ['images', 'functions', 'events', 'api-gateway'],
        { SANDBOX_TEST_CANARY: CANARY },
        { containers },
      ),
  ]);

// Starting solo as another user and standing up the "internet" take root, as CI runs.
(asRoot && shapes.length > 0
  ? describe.each(shapes)
  : describe.skip.each([['none', () => Promise.reject(new Error('no shape'))]] as typeof shapes))(
  'tenant code in its sandbox (%s)',
  (_shape, open) => {
    let session: Session;
    let internet: Internet;
    let ports: Record<string, number>;
    let victimFile: string;
    const dispatch = (args: string[]) => session.dispatch(args);
    const must = async (args: string[]) => {
      const out = await dispatch(args);
      if (out.code !== 0) throw new Error(`dispatch ${args.join(' ')}: ${out.stderr}`);
      return out;
    };
    /** `dispatch exec`, which prints a run as the original CLI did: `{context: {error, logs}, payload}`. */
    const exec = async (fn: string, input: unknown): Promise<{ error: unknown; output: unknown }> => {
      const out = await dispatch(['exec', fn, '--input', JSON.stringify(input)]);
      const shown = JSON.parse(out.stdout) as { context: { error: unknown }; payload: unknown };
      return { error: shown.context.error, output: shown.payload };
    };
    const marker = () => `${randomInt(100_000, 999_999)}.${randomInt(100_000, 999_999)}`;
    const params = (extra: Record<string, unknown> = {}) => ({
      dataDir: session.dataDir,
      victimFile,
      repository: ROOT,
      ports,
      platform: session.platformAddresses ?? [],
      marker: marker(),
      ...extra,
    });

    beforeAll(async () => {
      internet = await startInternet();
      session = await open();
      const api = new URL(session.api);
      const gateway = new URL(session.gateway.http);
      ports = {
        api: Number(api.port),
        gateway: Number(gateway.port),
        etcd: 2379,
        kafka: 9092,
        postgres: Number(new URL(process.env['POSTGRES_URL'] ?? 'postgres://h:5432').port || 5432),
      };
      await session.nodejsImage();
      // Another tenant's code, which the attacker knows the path of.
      session.write('victim.js', "module.exports = () => 'the victim';\n// victim-code-marker\n");
      await must(['create', 'function', '--image', 'nodejs', 'victim', './victim.js', '--wait']);
      const codeRoot = join(session.dataDir, 'functions', session.org, 'default', 'victim');
      const revision = execFileSync('ls', [codeRoot]).toString().trim().split('\n')[0] as string;
      victimFile = join(codeRoot, revision, 'code', 'victim.js');
      session.write('probe.js', FUNCTION);
      await must(['create', 'function', '--image', 'nodejs', 'probe', './probe.js', '--wait']);
    }, 300_000);

    afterAll(async () => {
      await session?.stop();
      await internet?.stop();
    });

    describe('a function', () => {
      it('reads nothing of the host and reaches no port of it, yet reaches the internet', async () => {
        const run = await exec('probe', params({ internet: internet.url }));
        expect(run.error).toBeNull();
        const found = run.output as Record<string, unknown>;
        expectNothingOfTheHost(found);
        expect(found['internet']).toBe('hello from the internet');
      }, 60_000);

      it('is held to its memory and its processes', async () => {
        const memory = await exec('probe', params({ memoryMb: 1024 }));
        // Refused by its limit, or ended by the kernel: either way it never held a gigabyte.
        expect((memory.output as { memoryMb?: number } | null)?.memoryMb ?? 0).toBeLessThan(1024);
        const processes = await exec('probe', params({ processes: 500 }));
        expect((processes.output as { processes: number }).processes).toBeLessThan(500);
        const after = await exec('probe', params());
        expect(after.error).toBeNull();
      }, 120_000);

      it('leaves no process running after it is deleted, and no file for the next function', async () => {
        session.write('leaver.js', FUNCTION);
        await must(['create', 'function', '--image', 'nodejs', 'leaver', './leaver.js', '--wait']);
        const left = params({ leave: true });
        expect((await exec('leaver', left)).error).toBeNull();
        expect(hostRuns(left.marker)).toBe(true);
        await must(['delete', 'function', 'leaver']);
        await eventually(
          'the leftover process gone',
          async () => (hostRuns(left.marker) ? undefined : true),
          20_000,
        );
        const next = await exec('probe', { ...params({ look: true }), marker: left.marker });
        expect((next.output as { leftovers: string[] }).leftovers).toEqual([]);
      }, 120_000);
    });

    describe('an image build', () => {
      it('reads nothing of the host and leaves nothing running, while its packages install from the registries', async () => {
        const build = params({ processes: 600, memoryMb: 3000 });
        const sdist = Buffer.concat([
          tarEntry('evil-1.0/setup.py', Buffer.from(SETUP_PY(build))),
          tarEntry('evil-1.0/PKG-INFO', Buffer.from('Metadata-Version: 1.0\nName: evil\nVersion: 1.0\n')),
          Buffer.alloc(1024),
        ]);
        const archive = gzipSync(sdist);
        const sha = createHash('sha256').update(archive).digest('hex');
        internet.serve('/files/evil-1.0.tar.gz', archive, 'application/gzip');
        internet.serve(
          '/simple/evil/',
          `<a href="/files/evil-1.0.tar.gz#sha256=${sha}">evil-1.0.tar.gz</a>`,
          'text/html',
        );
        session.write(
          'requirements.txt',
          `--extra-index-url ${internet.url}/simple/\n--trusted-host ${internet.host}\nevil==1.0\nsix==1.16.0\n`,
        );
        await must(['create', 'base-image', 'py-base', 'python:3', '--language', 'python3']);
        const created = await dispatch([
          'create',
          'image',
          'py-evil',
          'py-base',
          '--runtime-deps',
          'requirements.txt',
          '--wait',
        ]);
        expect(created.stderr).toBe('');
        session.write(
          'peek.py',
          'import evil, six\ndef handle(ctx, payload):\n    return {"results": evil.RESULTS, "six": six.__version__}\n',
        );
        await must(['create', 'function', '--image', 'py-evil', 'peek', './peek.py', '--wait']);
        const run = await exec('peek', {});
        expect(run.error).toBeNull();
        const { results, six } = run.output as { results: Record<string, unknown>; six: string };
        expect(six).toBe('1.16.0');
        expectNothingOfTheHost(results);
        expect(results['processes']).toBeLessThan(600);
        expect(results['memoryChild']).not.toBe(0);
        expect(hostRuns(build.marker)).toBe(false);
      }, 120_000);

      it('refuses requirements that name files on the machine', async () => {
        session.write('sneaky.txt', `-r ${session.dataDir}/secrets.key\n`);
        await must(['create', 'base-image', 'py-base2', 'python:3', '--language', 'python3']);
        await dispatch(['create', 'image', 'py-sneaky', 'py-base2', '--runtime-deps', 'sneaky.txt']);
        const image = await eventually('the image settled', async () => {
          const shown = JSON.parse((await dispatch(['get', 'image', 'py-sneaky', '-o', 'json'])).stdout) as {
            status: string;
            reason: string[];
          };
          return shown.status === 'ERROR' || shown.status === 'READY' ? shown : undefined;
        });
        expect(image.status).toBe('ERROR');
        expect(image.reason[0]).toContain('names a file, a directory or an editable install');
      }, 60_000);
    });

    describe('an event-driver program', () => {
      it('reads nothing of the host, reaches no port of it, and stops with its driver', async () => {
        const programs = join(session.dataDir, 'driver-programs');
        mkdirSync(programs, { recursive: true });
        writeFileSync(join(programs, 'probe.mjs'), DRIVER, { mode: 0o755 });
        session.write('record.js', 'module.exports = (context, input) => input;\n');
        await must(['create', 'function', '--image', 'nodejs', 'record', './record.js', '--wait']);
        await must(['create', 'subscription', 'record', '--event-type', 'probe.done', '--name', 'probes']);
        const probe = params({ leave: true, processes: 500 });
        await must(['create', 'eventdrivertype', 'prober', 'probe.mjs']);
        await must([
          'create',
          'eventdriver',
          'prober',
          '--name',
          'prober-1',
          '--set',
          `probe=${Buffer.from(JSON.stringify(probe)).toString('base64')}`,
        ]);
        const run = await eventually('the probe event', async () => {
          const runs = JSON.parse(
            (await dispatch(['get', 'runs', 'record', '-o', 'json'])).stdout || '[]',
          ) as Run[];
          return runs.find((r) => r.output !== null);
        });
        const found = run.output as Record<string, unknown>;
        expectNothingOfTheHost(found);
        expect(found['processes']).toBeLessThan(500);
        expect(hostRuns(probe.marker)).toBe(true);
        await must(['delete', 'eventdriver', 'prober-1']);
        await eventually(
          'the driver program gone',
          async () => (hostRuns(probe.marker) ? undefined : true),
          20_000,
        );
      }, 180_000);
    });
  },
);
