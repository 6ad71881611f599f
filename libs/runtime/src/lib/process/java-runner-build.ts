import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '@dispatch/contracts';

let built: Promise<string> | undefined;

/**
 * The java runner is Java source with a Maven pom; it is built once per machine (and again when its
 * source changes) into a cache folder, because Node packages carry no compiled jars.
 */
export function javaRunnerDir(runners: string): Promise<string> {
  built ??= build(runners).catch((err: unknown) => {
    built = undefined;
    throw err;
  });
  return built;
}

async function build(runners: string): Promise<string> {
  const project = join(runners, 'java');
  const source = join(project, 'src', 'main', 'java', 'io', 'dispatch', 'runner', 'Runner.java');
  const hash = createHash('sha256')
    .update(readFileSync(join(project, 'pom.xml')))
    .update(readFileSync(source))
    .digest('hex')
    .slice(0, 12);
  const dir = join(
    process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'),
    'dispatch',
    `java-runner-${hash}`,
  );
  if (existsSync(join(dir, 'dispatch-java-runner.jar')) && existsSync(join(dir, 'lib'))) return dir;
  await new Promise<void>((resolve, reject) => {
    execFile(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        join(project, 'pom.xml'),
        'package',
        'dependency:copy-dependencies',
        `-DoutputDirectory=${join(dir, 'lib')}`,
        `-Drunner.build.dir=${dir}`,
      ],
      { timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        err
          ? reject(
              new DomainError(
                'UNAVAILABLE',
                `building the java runner with Maven failed: ${`${stdout}${stderr}`.trim().split('\n').slice(-3).join(' | ') || err.message}`,
              ),
            )
          : resolve(),
    );
  });
  return dir;
}
