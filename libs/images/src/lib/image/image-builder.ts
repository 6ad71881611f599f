import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageLanguage, SystemPackage } from '@dispatch/contracts';
import { lastLines, runCommand } from './run-command.js';

export interface BuildRequest {
  language: ImageLanguage;
  /** Where the image's dependencies go; created fresh. */
  dir: string;
  manifest?: string;
  packages?: SystemPackage[];
}

/** The outcome of a build: nothing means it worked, a string is the reason it did not. */
export type BuildFailure = string | undefined;

/**
 * Installs an image's runtime dependencies once into a directory of its own, with each language's own
 * tool: npm into `node_modules`, pip into a venv, Maven copying the jars into `lib/`. Functions on the
 * image then load them from there. System packages are not installed into the host: a build checks
 * that each is present and says which is missing.
 */
export async function buildImage(req: BuildRequest): Promise<BuildFailure> {
  await rm(req.dir, { recursive: true, force: true });
  await mkdir(req.dir, { recursive: true });
  const missing = await missingPackages(req.packages ?? []);
  if (missing) return missing;
  switch (req.language) {
    case 'nodejs':
      return buildNode(req.dir, req.manifest);
    case 'python3':
      return buildPython(req.dir, req.manifest);
    case 'java':
      return buildJava(req.dir, req.manifest);
  }
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

async function buildNode(dir: string, manifest: string | undefined): Promise<BuildFailure> {
  if (!manifest?.trim()) return undefined;
  try {
    JSON.parse(manifest);
  } catch (err) {
    return `package.json is not valid JSON: ${(err as Error).message}`;
  }
  await writeFile(join(dir, 'package.json'), manifest);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const res = await runCommand(
    npm,
    ['install', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts'],
    { cwd: dir },
  );
  return res.ok ? undefined : `npm install failed: ${lastLines(res.output)}`;
}

async function buildPython(dir: string, manifest: string | undefined): Promise<BuildFailure> {
  const venv = join(dir, 'venv');
  const created = await runCommand('python3', ['-m', 'venv', venv]);
  if (!created.ok) return `creating the Python venv failed: ${lastLines(created.output)}`;
  if (!manifest?.trim()) return undefined;
  await writeFile(join(dir, 'requirements.txt'), manifest);
  const res = await runCommand(
    join(venv, 'bin', 'pip'),
    ['install', '--disable-pip-version-check', '-q', '-r', 'requirements.txt'],
    {
      cwd: dir,
    },
  );
  return res.ok ? undefined : `pip install failed: ${lastLines(res.output)}`;
}

async function buildJava(dir: string, manifest: string | undefined): Promise<BuildFailure> {
  await mkdir(join(dir, 'lib'), { recursive: true });
  if (!manifest?.trim()) return undefined;
  await writeFile(join(dir, 'pom.xml'), manifest);
  const res = await runCommand(
    'mvn',
    [
      '-q',
      '-B',
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${join(dir, 'lib')}`,
    ],
    {
      cwd: dir,
    },
  );
  return res.ok ? undefined : `Maven could not resolve the dependencies: ${lastLines(res.output, 6)}`;
}
