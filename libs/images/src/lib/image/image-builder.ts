import { accessSync, constants, realpathSync } from 'node:fs';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { ImageLanguage, SystemPackage } from '@dispatch/contracts';
import { toolchainOf } from '@dispatch/runtime';
import {
  SANDBOX_SETUP_ATTEMPTS,
  sandboxSetupFailed,
  tenantSandbox,
  type Mount,
  type Sandbox,
  type Unconfined,
} from '@dispatch/sandbox';
import { manifestProblem, packagesProblem } from './manifest-rules.js';
import { lastLines, runCommand } from './run-command.js';

export interface BuildRequest {
  language: ImageLanguage;
  /** Where the image's dependencies go; created fresh. */
  dir: string;
  manifest?: string;
  packages?: SystemPackage[];
  /** The host user the build runs as (as root): its org's build user, which owns the org's cache. */
  uid: number;
  /** The org's package caches (npm, pip, Maven), kept between its builds and shared with no other org. */
  cacheDir: string;
  sandbox?: Sandbox | Unconfined;
}

/** The outcome of a build: nothing means it worked, a string is the reason it did not. */
export type BuildFailure = string | undefined;

/**
 * Where a build sees its own directory and its org's caches. The tools' installs keep their host paths
 * (an interpreter built with an absolute library path, as pyenv's are, finds its libraries only there).
 */
const IMAGE = '/mnt/image';
const CACHE = '/mnt/cache';
const BUILD_MEMORY_MB = 2048;
const BUILD_PROCESSES = 512;
const BUILD_TIMEOUT_MS = 10 * 60_000;

/**
 * Installs an image's runtime dependencies once into a directory of its own, with each language's own
 * tool: npm into `node_modules`, pip into a venv, Maven copying the jars into `lib/`. Functions on the
 * image then load them from there. A manifest names registry packages only (see manifest-rules). The
 * tool runs in the tenant sandbox as the org's build user, with a way out to the registries and
 * nothing of the machine in view but the base system, the image's own directory and the org's package
 * cache: an install script or a build plugin reaches no key, no other tenant and no port of Dispatch.
 * System packages are not installed into the host: a build checks that each is present and says which
 * is missing.
 */
export async function buildImage(req: BuildRequest): Promise<BuildFailure> {
  const problem = packagesProblem(req.packages ?? []) ?? manifestProblem(req.language, req.manifest);
  if (problem) return problem;
  const sandbox = req.sandbox ?? tenantSandbox();
  await rm(req.dir, { recursive: true, force: true });
  await mkdir(req.dir, { recursive: true });
  await mkdir(req.cacheDir, { recursive: true, mode: 0o700 });
  if (sandbox.privileged) {
    await chown(req.dir, req.uid, req.uid);
    await chown(req.cacheDir, req.uid, req.uid);
  }
  const missing = await missingPackages(req.packages ?? []);
  if (missing) return missing;
  const manifest = req.manifest?.trim() ? req.manifest : undefined;
  const build = new SandboxedBuild(sandbox, req);
  switch (req.language) {
    case 'nodejs':
      return buildNode(build, req.dir, manifest);
    case 'python3':
      return buildPython(build, req.dir, manifest);
    case 'java':
      return buildJava(build, req.dir, manifest);
  }
}

interface ToolResult {
  ok: boolean;
  output: string;
  outOfMemory: boolean;
}

/** One build's sandbox: its directory and cache mounted, the tools' installs beside them. */
class SandboxedBuild {
  constructor(
    private readonly sandbox: Sandbox | Unconfined,
    private readonly req: BuildRequest,
  ) {}

  /** A path inside the image directory, as the tool sees it. */
  image(...parts: string[]): string {
    return join(this.sandbox.pathOf({ source: this.req.dir, target: IMAGE }), ...parts);
  }

  /** Makes a directory in the image (on the host) that the build's user may write. */
  async makeDir(...parts: string[]): Promise<void> {
    const dir = join(this.req.dir, ...parts);
    await mkdir(dir, { recursive: true });
    if (this.sandbox.privileged) await chown(dir, this.req.uid, this.req.uid);
  }

  cache(...parts: string[]): string {
    return join(this.sandbox.pathOf({ source: this.req.cacheDir, target: CACHE }), ...parts);
  }

  /** Runs a tool; `tools` are extra host installs it needs (an interpreter outside /usr). */
  async run(
    command: string,
    args: string[],
    options: { env?: Record<string, string>; tools?: Mount[] } = {},
  ): Promise<ToolResult> {
    for (let attempt = 1; ; attempt += 1) {
      const res = await this.runOnce(command, args, options);
      // The sandbox failed while being made (bwrap's own complaint); the tool never ran.
      if (res.ok || attempt >= SANDBOX_SETUP_ATTEMPTS || !sandboxSetupFailed(res.output.split('\n')[0]))
        return res;
    }
  }

  private async runOnce(
    command: string,
    args: string[],
    options: { env?: Record<string, string>; tools?: Mount[] },
  ): Promise<ToolResult> {
    const mounts: Mount[] = [
      { source: this.req.dir, target: IMAGE, writable: true },
      { source: this.req.cacheDir, target: CACHE, writable: true },
      ...(options.tools ?? []),
    ];
    const at = (path: string) => {
      for (const mount of mounts) {
        if (path === mount.target || path.startsWith(`${mount.target}/`))
          return this.sandbox.pathOf(mount) + path.slice(mount.target.length);
      }
      return path;
    };
    let proc;
    try {
      proc = this.sandbox.spawn({
        command: at(command),
        args: args.map(at),
        mounts,
        env: options.env,
        cwd: IMAGE,
        network: true,
        uid: this.req.uid,
        limits: { memoryMb: BUILD_MEMORY_MB, processes: BUILD_PROCESSES },
        tmpMb: 512,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await proc.started;
    } catch (err) {
      return { ok: false, output: (err as Error).message, outOfMemory: false };
    }
    let output = '';
    for (const stream of [proc.child.stdout, proc.child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => (output = (output + chunk).slice(-64 * 1024)));
    }
    const timer = setTimeout(() => proc.kill(), BUILD_TIMEOUT_MS);
    const { code, signal } = await proc.exited;
    clearTimeout(timer);
    const outOfMemory = proc.ranOutOfMemory();
    return {
      ok: code === 0 && !signal,
      output: signal && !outOfMemory ? `${output}\n(stopped: ${signal})` : output,
      outOfMemory,
    };
  }
}

function failed(tool: string, res: { output: string; outOfMemory: boolean }, lines = 4): string {
  if (res.outOfMemory) return `${tool} ran out of the build's ${BUILD_MEMORY_MB} MB of memory`;
  return `${tool} failed: ${lastLines(res.output, lines)}`;
}

async function missingPackages(packages: SystemPackage[]): Promise<BuildFailure> {
  for (const pkg of packages) {
    const res = await runCommand('dpkg-query', ['-W', '-f=${Status} ${Version}', pkg.name], {
      timeoutMs: 30_000,
    });
    const [status, version] = [res.output.includes('install ok installed'), res.output.split(' ').pop()];
    if (!res.ok || !status) {
      return `system package ${pkg.name} is not installed on this host; install it (apt-get install ${pkg.name}) and update the image`;
    }
    if (pkg.version && version !== pkg.version) {
      return `system package ${pkg.name} is at version ${version} on this host, not ${pkg.version}`;
    }
  }
  return undefined;
}

async function buildNode(
  build: SandboxedBuild,
  dir: string,
  manifest: string | undefined,
): Promise<BuildFailure> {
  if (!manifest) return undefined;
  await writeFile(join(dir, 'package.json'), manifest);
  // npm is node's own: the install it came with, run by that node.
  const node = await toolchainOf('nodejs');
  const tools = [{ source: node.prefix, target: node.prefix }];
  const res = await build.run(
    node.executable,
    [
      join(node.prefix, 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
      'install',
      '--omit=dev',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--no-update-notifier',
    ],
    { env: { npm_config_cache: build.cache('npm') }, tools },
  );
  return res.ok ? undefined : failed('npm install', res);
}

async function buildPython(
  build: SandboxedBuild,
  dir: string,
  manifest: string | undefined,
): Promise<BuildFailure> {
  const python = await toolchainOf('python3');
  const tools = [{ source: python.prefix, target: python.prefix }];
  const created = await build.run(python.executable, ['-m', 'venv', build.image('venv')], { tools });
  if (!created.ok) return failed('creating the Python venv', created);
  if (!manifest) return undefined;
  await writeFile(join(dir, 'requirements.txt'), manifest);
  const res = await build.run(
    build.image('venv', 'bin', 'python'),
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '-q',
      '-r',
      build.image('requirements.txt'),
    ],
    { env: { PIP_CACHE_DIR: build.cache('pip') }, tools },
  );
  return res.ok ? undefined : failed('pip install', res);
}

async function buildJava(
  build: SandboxedBuild,
  dir: string,
  manifest: string | undefined,
): Promise<BuildFailure> {
  // Functions load lib/ whether or not there are dependencies; Maven copies them into it as the build user.
  await build.makeDir('lib');
  if (!manifest) return undefined;
  await writeFile(join(dir, 'pom.xml'), manifest);
  const jdk = await toolchainOf('java');
  const maven = mavenHome();
  const tools = [
    { source: jdk.prefix, target: jdk.prefix },
    { source: maven, target: maven },
  ];
  const res = await build.run(
    join(maven, 'bin', 'mvn'),
    [
      '-q',
      '-B',
      `-Dmaven.repo.local=${build.cache('m2')}`,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${build.image('lib')}`,
    ],
    { env: { JAVA_HOME: jdk.prefix }, tools },
  );
  if (res.ok) return undefined;
  const errors = mavenErrors(res.output);
  return errors && !res.outOfMemory
    ? `Maven could not resolve the dependencies: ${errors}`
    : failed('Maven could not resolve the dependencies', res, 6);
}

/**
 * What Maven said went wrong: its [ERROR] lines up to the advice it always adds (stack traces, -X, the
 * wiki), which would otherwise be all a status reason's last lines show.
 */
function mavenErrors(output: string): string {
  const errors: string[] = [];
  // Colour codes even in batch mode, from the launcher's own output.
  for (const line of stripVTControlCharacters(output).split('\n')) {
    const error = /^\[ERROR\]\s*(.*)$/.exec(line.trim())?.[1]?.trim();
    if (error === undefined) continue;
    if (error.startsWith('To see the full stack trace')) break;
    if (error) errors.push(error);
  }
  return errors.slice(0, 3).join(' | ');
}

/** Maven's install, found from `mvn` on PATH (a Debian or SDKMAN install alike). */
function mavenHome(): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, 'mvn'), constants.X_OK);
      return dirname(dirname(realpathSync(join(dir, 'mvn'))));
    } catch {
      // not in this one
    }
  }
  return '/usr/share/maven';
}
