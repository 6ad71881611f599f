import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Inject, Module, type DynamicModule } from '@nestjs/common';
import type { VersionInfo } from '@dispatch/contracts';
import { Public } from './access.decorators.js';

/** The repository (or installed package) root: the nearest package.json named "dispatch" above this file. */
function findRoot(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (
      existsSync(file) &&
      (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'dispatch'
    ) {
      return dir;
    }
  }
  return undefined;
}

function gitCommit(root: string | undefined): string | undefined {
  if (!root || !existsSync(join(root, '.git'))) return undefined;
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  } catch {
    return undefined;
  }
}

/** Read once at boot: container builds set DISPATCH_VERSION/COMMIT/BUILD_DATE, a checkout asks git. */
export function readVersion(shape: string, env: NodeJS.ProcessEnv = process.env): VersionInfo {
  const root = findRoot();
  const pkg = root
    ? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    : undefined;
  return {
    version: env['DISPATCH_VERSION'] ?? pkg?.version ?? '0.0.0',
    commit: env['DISPATCH_COMMIT'] ?? gitCommit(root) ?? 'unknown',
    buildDate: env['DISPATCH_BUILD_DATE'] ?? 'unknown',
    nodeVersion: process.version,
    os: platform(),
    arch: arch(),
    platform: `${platform()}/${arch()}`,
    shape,
  };
}

const VERSION_INFO = Symbol.for('dispatch.version-info');

@Controller('v1/version')
@Public()
export class VersionController {
  constructor(@Inject(VERSION_INFO) private readonly info: VersionInfo) {}

  @Get()
  get(): VersionInfo {
    return this.info;
  }
}

@Module({})
export class VersionModule {
  static forRoot(shape: string): DynamicModule {
    return {
      module: VersionModule,
      controllers: [VersionController],
      providers: [{ provide: VERSION_INFO, useValue: readVersion(shape) }],
    };
  }
}
