import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DomainError } from '@dispatch/contracts';

/** An OpenID Connect login kept by `dispatch login`: the ID token is the credential, refreshed in place. */
export interface CliSession {
  issuer: string;
  idToken: string;
  refreshToken?: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  subject: string;
}

/** One server a user talks to, and how they prove who they are there. */
export interface CliContext {
  host: string;
  port: number | string;
  scheme: string;
  insecure?: boolean;
  organization: string;
  project: string;
  /** A fixed bearer token. */
  token?: string;
  /** A service account (`<org>/<name>`) whose tokens the CLI signs with `jwtPrivateKey` (a PEM file). */
  serviceAccount?: string;
  jwtPrivateKey?: string;
  session?: CliSession;
}

/** `~/.dispatch/config.json`: `{ "current": "name", "contexts": { "name": { host, port, ... } } }`. */
export interface CliConfigFile {
  current?: string;
  contexts?: Record<string, Partial<CliContext>>;
}

export function readCliConfig(path: string): CliConfigFile {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CliConfigFile;
  } catch (err) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `the config file ${path} is not valid JSON: ${(err as Error).message}`,
    );
  }
}

/**
 * Writes the whole file, owner-only (it holds sessions and key paths), through a temporary file so a
 * crash never leaves half a config behind.
 */
export function writeCliConfig(path: string, config: CliConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/**
 * Stores a context under `name`, replacing the fields given; it becomes the current one when asked, or
 * when there is none yet.
 */
export function saveCliContext(
  path: string,
  name: string,
  context: Partial<CliContext>,
  options: { makeCurrent?: boolean; replace?: boolean } = {},
): void {
  const config = readCliConfig(path);
  const contexts = config.contexts ?? {};
  contexts[name] = options.replace ? context : { ...contexts[name], ...context };
  const current = options.makeCurrent || !config.current ? name : config.current;
  writeCliConfig(path, { ...config, current, contexts });
}
