import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SandboxRun } from './sandbox-run.js';
import { Sandbox } from './sandbox.js';

/**
 * The sandbox itself, on this machine's bubblewrap and slirp4netns (tools/sandbox.js installs them):
 * what a program inside sees, reaches and may hold. The e2e attacker suite tries the same through
 * functions, builds and drivers.
 */
const detected = Sandbox.detect();
if (typeof detected === 'string') throw new Error(`no sandbox on this machine: ${detected}`);
const sandbox = detected;

/** Runs a program to its end and returns what it printed (stdout and stderr together) and how it ended. */
async function run(settings: Omit<SandboxRun, 'stdio'>) {
  const program = sandbox.spawn({ ...settings, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  program.child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  program.child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await program.started;
  const end = await program.exited;
  return { output, ...end, outOfMemory: program.ranOutOfMemory() };
}

const sh = (script: string, more: Partial<SandboxRun> = {}) =>
  run({ command: '/bin/sh', args: ['-c', script], ...more });

describe(`the sandbox (${sandbox.privileged ? 'as root' : 'as an ordinary user'})`, () => {
  let host: string;
  let listener: Server;
  let port: number;

  beforeAll(async () => {
    host = mkdtempSync(join(tmpdir(), 'dispatch-sandbox-spec-'));
    writeFileSync(join(host, 'secret.key'), 'the-platform-secret');
    execFileSync('mkdir', ['-p', join(host, 'code')]);
    writeFileSync(join(host, 'code', 'handler.txt'), 'the-tenant-code');
    listener = createServer((socket) => socket.end('platform-port\n'));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => listener.close(resolve));
    rmSync(host, { recursive: true, force: true });
  });

  it('shows a program its own mounts, read-only, and nothing else of the host', async () => {
    const result = await sh(
      `cat /mnt/code/handler.txt; cat ${host}/secret.key; ls /root; echo x > /mnt/code/new; echo x > /usr/new; echo scratch > /tmp/t && cat /tmp/t`,
      { mounts: [{ source: join(host, 'code'), target: '/mnt/code' }] },
    );
    expect(result.output).toContain('the-tenant-code');
    expect(result.output).not.toContain('the-platform-secret');
    expect(result.output).toMatch(new RegExp(`${host}/secret.key: No such file`));
    expect(result.output).toMatch(/\/mnt\/code\/new: Read-only file system/);
    expect(result.output).toMatch(/\/usr\/new: Read-only file system/);
    expect(result.output).toContain('scratch');
  });

  it('gives it only the environment it was given, and none of the host processes', async () => {
    process.env['DISPATCH_SANDBOX_SPEC_CANARY'] = 'host-environment';
    try {
      const result = await sh(
        `tr '\\0' '\\n' < /proc/self/environ; cat /proc/1/environ; echo "user=$(id -u)"; ls /proc | grep -c '^[0-9]'`,
        { env: { GREETING: 'hello' }, uid: 1_999_999_001 },
      );
      expect(result.output).toContain('GREETING=hello');
      expect(result.output).not.toContain('host-environment');
      // Its own PID namespace: bwrap's init, the shell and what it runs, not the host's hundreds.
      expect(Number(result.output.trim().split('\n').pop())).toBeLessThan(6);
      if (sandbox.privileged) expect(result.output).toContain('user=1999999001');
    } finally {
      delete process.env['DISPATCH_SANDBOX_SPEC_CANARY'];
    }
  });

  const connect = (address: string, to = port) =>
    `{ const socket = require('net').connect(${to}, '${address}');` +
    ` socket.on('data', (d) => { console.log('${address}: ' + d); socket.destroy(); });` +
    ` socket.on('error', (e) => console.log('${address}: ' + e.code));` +
    ` socket.setTimeout(3000, () => { console.log('${address}: TIMEOUT'); socket.destroy(); }); }`;

  it.each([false, true])('keeps the host loopback out of reach (network: %s)', async (network) => {
    const result = await run({
      command: process.execPath,
      args: ['-e', `${connect('127.0.0.1')}; ${connect('10.0.2.2')}`],
      mounts: [{ source: process.execPath, target: process.execPath }],
      network,
    });
    expect(result.output).not.toContain('platform-port');
    expect(result.output).toMatch(/127\.0\.0\.1: ECONNREFUSED/);
    // As root the NAT's alias of the host is closed by a route in the namespace, not only by slirp4netns.
    if (network && sandbox.privileged) expect(result.output).toMatch(/10\.0\.2\.2: EACCES/);
  });

  it("keeps the host's other addresses and the private ranges out of reach, with network", async () => {
    // The platform as it runs in containers or pods: on this host's other addresses, or on a private
    // network its NAT would route to.
    const everywhere = createServer((socket) => socket.end('platform-port\n'));
    await new Promise<void>((resolve) => everywhere.listen(0, '0.0.0.0', resolve));
    try {
      const open = (everywhere.address() as AddressInfo).port;
      const own = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a?.family === 'IPv4' && !a.address.startsWith('127.'))
        .map((a) => a?.address as string);
      const targets = [...own, '10.255.255.254', '172.16.0.1', '192.168.0.1', '169.254.169.254'];
      const result = await run({
        command: process.execPath,
        args: ['-e', targets.map((address) => connect(address, open)).join('; ')],
        mounts: [{ source: process.execPath, target: process.execPath }],
        network: true,
      });
      expect(result.output).not.toContain('platform-port');
      for (const address of targets) expect(result.output).toContain(`${address}: EACCES`);
    } finally {
      await new Promise((resolve) => everywhere.close(resolve));
    }
  });

  it('holds a program to its memory', async () => {
    const result = await run({
      command: process.execPath,
      args: [
        '-e',
        'const held = []; for (let i = 0; i < 40; i++) held.push(Buffer.alloc(8 << 20, 1)); console.log("held 320 MB")',
      ],
      mounts: [{ source: process.execPath, target: process.execPath }],
      limits: { memoryMb: 96 },
    });
    expect(result.output).not.toContain('held 320 MB');
    expect(result.code).not.toBe(0);
    if (sandbox.privileged) expect(result.outOfMemory).toBe(true);
  });

  it('holds a program to its processes', async () => {
    const result = await sh('for i in $(seq 200); do sleep 5 & done 2>&1 | head -1; echo done', {
      limits: { processes: 32 },
    });
    expect(result.output).toMatch(/fork|Resource temporarily unavailable/i);
  });

  it('holds a program to its CPU time, as root (a cgroup quota)', async () => {
    if (!sandbox.privileged) return; // without root no rate limit exists; the README says so
    // Spins for a wall-clock second, then says how much CPU it was given: 0.2 CPUs gives ~200 ms.
    const result = await run({
      command: process.execPath,
      args: [
        '-e',
        'const t = Date.now(); while (Date.now() - t < 1000); console.log(Math.round(process.cpuUsage().user / 1000))',
      ],
      mounts: [{ source: process.execPath, target: process.execPath }],
      limits: { cpus: 0.2 },
    });
    expect(Number(result.output.trim())).toBeLessThan(600);
  });

  it('leaves nothing running once it is killed, even what detached itself', async () => {
    const program = sandbox.spawn({
      command: '/bin/sh',
      args: ['-c', 'setsid sleep 987654 & sleep 987653'],
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    try {
      await program.started;
      // The two sleeps themselves, not the shell or bwrap whose command lines name them.
      const running = () => {
        try {
          return execFileSync('pgrep', ['-f', '^sleep 98765[34]$'], { encoding: 'utf8' }).trim().split('\n');
        } catch {
          return [];
        }
      };
      for (let i = 0; i < 50 && running().length < 2; i += 1) await new Promise((r) => setTimeout(r, 50));
      expect(running()).toHaveLength(2);
      program.kill();
      await program.exited;
      for (let i = 0; i < 50 && running().length; i += 1) await new Promise((r) => setTimeout(r, 50));
      expect(running()).toEqual([]);
    } finally {
      program.kill();
    }
  });

  it('lets a program that switches its user itself hold only what it takes to switch, and a scratch of its own', async () => {
    const result = await sh(
      `grep -E '^(Uid|CapEff|NoNewPrivs):' /proc/self/status; echo code > /mnt/scratch/f && stat -c '%u %a' /mnt/scratch/f; ` +
        `grep ' /mnt/scratch ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1`,
      { switchesUser: true, uid: 40_001, scratch: [{ target: '/mnt/scratch', sizeMb: 1 }] },
    );
    expect(result.output).toMatch(/NoNewPrivs:\s+1/);
    expect(result.output).toContain('tmpfs');
    if (sandbox.privileged) {
      // Still root until it switches, but only CAP_SETUID and CAP_SETGID (bits 7 and 6).
      expect(result.output).toMatch(/Uid:\s+0\s+0\s+0\s+0/);
      expect(result.output).toMatch(/CapEff:\s+00000000000000c0/);
      expect(result.output).toMatch(/^0 644$/m);
    } else {
      expect(result.output).toMatch(/CapEff:\s+0000000000000000/);
    }
  });
});
