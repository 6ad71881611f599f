import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import { DomainError } from '@dispatch/contracts';

/**
 * The program a driver type names, when it is one the operator allows: a file in the driver-programs
 * directory (DISPATCH_DRIVER_PROGRAMS), named by its file name or by a path inside that directory.
 * Nothing else on the host can be a driver: a tenant cannot make `/usr/bin/node` or a shell its driver
 * and hand it code in a setting.
 */
export function allowedProgram(image: string, programsDir: string): string {
  const dir = realOrNone(programsDir);
  const named = isAbsolute(image) ? image : join(programsDir, image);
  const path = realOrNone(named);
  const inside = dir !== undefined && path !== undefined && path.startsWith(dir + sep);
  if (!inside || image.includes('\0'))
    throw new DomainError(
      'INVALID_ARGUMENT',
      `driver program ${image} is not one an operator installed: driver types run programs from ${programsDir} only (DISPATCH_DRIVER_PROGRAMS); name one by its file name`,
    );
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    accessSync(path, constants.X_OK);
  } catch {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `driver program ${image} in ${programsDir} is not an executable file`,
    );
  }
  return path;
}

function realOrNone(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Environment names a secret may not take: they change how a program (or the loader, a shell, an
 * interpreter) starts, so a secret named so would put code into even a harmless program.
 */
const LOADER_NAMES =
  /^(LD_.*|DYLD_.*|NODE_.*|PYTHON.*|PERL5.*|RUBY.*|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|CLASSPATH|PATH|HOME|SHELL|BASH_ENV|ENV|IFS|SHELLOPTS|BASHOPTS|GCONV_PATH|GLIBC_TUNABLES|MALLOC_.*|LOCPATH|NLSPATH|HOSTALIASES|RES_OPTIONS|LOCALDOMAIN|TMPDIR|SSL_CERT_.*|DISPATCH_.*)$/i;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a secret cannot be given to a program under this name, or undefined when it can. */
export function secretNameProblem(name: string): string | undefined {
  if (!NAME.test(name)) return `secret key ${JSON.stringify(name)} is not an environment variable name`;
  if (LOADER_NAMES.test(name))
    return `secret key ${name} would change how the driver program starts (loader, interpreter or shell settings, or Dispatch's own): rename it`;
  return undefined;
}
