import { spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { ROOT } from './processes.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running Dispatch, solo or distributed, driven through the dispatch CLI as a user would. */
/**
 * Who signs a service account's token: our CLI (issued now, for 10 minutes), or the original Dispatch
 * CLI (issued a minute ago against clock skew, for an hour).
 */
export type TokenSigner = 'dispatch' | 'original CLI';

export interface Session {
  /** Where its API answers (the ingress in the distributed shape). */
  api: string;
  /** The org the session's CLI works in. */
  org: string;
  work: string;
  dataDir: string;
  /** Runs the dispatch CLI in the work directory, optionally feeding standard input. */
  dispatch: Cli;
  /**
   * Creates a nodejs base image and image named `nodejs`, without dependencies, and waits for it;
   * `cliArgs` go before the command (e.g. another `--organization`).
   */
  nodejsImage(cliArgs?: string[]): Promise<void>;
  /** The gateway's base URLs, where endpoints answer, e.g. `http://127.0.0.1:40123`. */
  gateway: { http: string; https: string };
  /**
   * An `Authorization` header value of the session's administrator, for calls made without the CLI;
   * signed as `signer` signs a service account's token.
   */
  authorization(signer?: TokenSigner): Promise<string>;
  /** Writes a file into the work directory and gives its path. */
  write(name: string, text: string): string;
  /**
   * Where the platform answers off the host's loopback, as its own parts reach it (in containers: etcd
   * and Kafka on the host's address for containers, each service by name): no tenant may get there.
   */
  platformAddresses?: { name: string; host: string; port: number }[];
  /**
   * Installs an event-driver program as this shape's operator does (a file in the data directory's
   * driver-programs/; on Kubernetes, a key of the ConfigMap the chart mounts), or removes it; resolves
   * once the events service sees the change.
   */
  installDriverProgram(name: string, text: string): Promise<void>;
  removeDriverProgram(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** The dispatch CLI: a command run to its end, or `live`, one that goes on (`logs -f`) until stopped. */
export type Cli = ((args: string[], stdin?: string) => Promise<CliResult>) & {
  live(args: string[]): LiveCli;
};

/** A CLI command still running, as a person sees it in a terminal. */
export interface LiveCli {
  /** What it printed so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves once its standard output matches `pattern`; rejects with what it printed after `timeoutMs`. */
  until(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Ctrl-C (SIGINT), and how it ended. */
  interrupt(): Promise<CliResult>;
}

/** Driver programs as files in the data directory's driver-programs/, which the events service reads. */
export function driverProgramsIn(
  dataDir: string,
): Pick<Session, 'installDriverProgram' | 'removeDriverProgram'> {
  const programs = join(dataDir, 'driver-programs');
  return {
    installDriverProgram: async (name, text) => {
      mkdirSync(programs, { recursive: true });
      writeFileSync(join(programs, name), text, { mode: 0o755 });
    },
    removeDriverProgram: async (name) => rmSync(join(programs, name), { force: true }),
  };
}

/**
 * The dispatch CLI against an API on `port`, in `work`, with the session's own config file (never the
 * user's): the administrator's context, or none.
 */
export function cliFor(
  port: number,
  work: string,
  globalArgs: string[] = [],
  config = join(work, 'no-config.json'),
): Cli {
  const start = (args: string[], stdin?: string) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'apps/cli/bin/dispatch.js'), '--port', String(port), ...globalArgs, ...args],
      { cwd: work, env: { ...process.env, DISPATCH_CONFIG: config } },
    );
    const printed = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (printed.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (printed.stderr += d.toString()));
    const exited = new Promise<CliResult>((resolve) =>
      child.on('exit', (code) => resolve({ code, ...printed })),
    );
    child.stdin.end(stdin ?? '');
    return { child, printed, exited };
  };
  const live = (args: string[]): LiveCli => {
    const { child, printed, exited } = start(args);
    return {
      output: () => ({ ...printed }),
      until: async (pattern, timeoutMs = 10_000) => {
        const deadline = Date.now() + timeoutMs;
        while (!pattern.test(printed.stdout)) {
          if (Date.now() > deadline || child.exitCode !== null)
            throw new Error(
              `dispatch ${args.join(' ')} printed no ${pattern}:\n${printed.stdout}\n${printed.stderr}`,
            );
          await new Promise((r) => setTimeout(r, 10));
        }
      },
      interrupt: () => {
        child.kill('SIGINT');
        return exited;
      },
    };
  };
  return Object.assign((args: string[], stdin?: string) => start(args, stdin).exited, { live });
}

/**
 * The CLI with the server's log behind an internal error or a failed proxy: a 500 says only "the server
 * log has the details", a 502 only that the ingress got no answer, and a CI log is all there is of a
 * run, so the tail of what the servers printed is added to the CLI's error output.
 */
export function withServerLog(dispatch: Cli, serverLog: () => string): Cli {
  const withLog = async (args: string[], stdin?: string) => {
    const result = await dispatch(args, stdin);
    if (!/internal error|HTTP 50[234]/.test(result.stderr)) return result;
    return { ...result, stderr: `${result.stderr}\n--- server log (tail) ---\n${serverLog().slice(-8000)}` };
  };
  return Object.assign(withLog, { live: dispatch.live });
}

/** A nodejs base image and image named `nodejs`, built and READY. */
/**
 * Writes `source` as `<name>.js` in the session's work directory and makes it a function on the
 * `nodejs` image (see nodejsImage), READY when this resolves; gives what the CLI printed.
 */
export async function createNodejsFunction(
  session: Pick<Session, 'write' | 'dispatch'>,
  name: string,
  source: string,
  ...flags: string[]
): Promise<CliResult> {
  session.write(`${name}.js`, source);
  return session.dispatch([
    'create',
    'function',
    '--image',
    'nodejs',
    name,
    `./${name}.js`,
    '--wait',
    ...flags,
  ]);
}

export async function createNodejsImage(
  dispatch: Session['dispatch'],
  cliArgs: string[] = [],
): Promise<void> {
  await dispatch([
    ...cliArgs,
    'create',
    'base-image',
    'node-base',
    'dispatchframework/nodejs-base',
    '--language',
    'nodejs',
  ]);
  const image = await dispatch([...cliArgs, 'create', 'image', 'nodejs', 'node-base', '--wait']);
  if (image.code !== 0) throw new Error(`the nodejs image did not build: ${image.stderr}`);
}

/** A bearer header of a service account, signed with its private key file as the CLI does. */
export async function bearerOf(
  account: string,
  keyFile: string,
  signer: TokenSigner = 'dispatch',
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const [issuedAt, expires] = signer === 'original CLI' ? [now - 60, now + 3600] : [now, now + 600];
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(account)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expires)
    .sign(createPrivateKey(readFileSync(keyFile, 'utf8')));
  return `Bearer ${token}`;
}

/**
 * What an operator does on a fresh installation: as the bootstrap identity, create the org, a service
 * account `admin` and a global policy making it the installation's administrator (which ends bootstrap
 * mode); then log the CLI in as that account. Gives the account's private key file. On an installation
 * already bootstrapped, `as` is an administrator there (`{account, keyFile}`) who does the same for a
 * new org.
 */
export async function bootstrap(
  dispatch: Session['dispatch'],
  work: string,
  org: string,
  as: KeyObject | { account: string; keyFile: string },
): Promise<string> {
  const token =
    as instanceof KeyObject
      ? await new SignJWT({})
          .setProtectedHeader({ alg: 'RS256' })
          .setIssuer('bootstrap')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(as)
      : (await bearerOf(as.account, as.keyFile)).slice('Bearer '.length);
  const admin = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = join(work, 'admin.key');
  writeFileSync(keyFile, admin.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(work, 'admin.pub'), admin.publicKey.export({ type: 'spki', format: 'pem' }));
  const asBootstrap = ['--token', token, 'iam', 'create'];
  for (const args of [
    [...asBootstrap, 'organization', org],
    [...asBootstrap, 'serviceaccount', 'admin', '--public-key', join(work, 'admin.pub')],
    // An installation's administrator: in every org, as an operator's would be.
    [
      ...asBootstrap,
      'policy',
      'admin',
      '--subject',
      `${org}/admin`,
      '--resource',
      '*',
      '--action',
      '*',
      '--global',
    ],
    ['login', '--service-account', 'admin', '--jwt-private-key', keyFile],
  ]) {
    const result = await dispatch(args);
    if (result.code !== 0) throw new Error(`bootstrap: dispatch ${args.join(' ')}: ${result.stderr}`);
  }
  return keyFile;
}
