import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT, start, waitForHttp, type Started } from './processes.js';
import {
  bearerOf,
  cliFor,
  createNodejsImage,
  driverProgramsIn,
  withServerLog,
  type Session,
} from './session.js';

export type { CliResult } from './session.js';

/** A solo Dispatch on a throwaway data directory, driven through the dispatch CLI as a user would. */
export interface SoloSession extends Session {
  port: number;
  /** The solo process (for tests that kill it outright). */
  pid: number;
  /** As Session's, with global CLI flags (e.g. another org's) before the command. */
  nodejsImage(cliArgs?: string[]): Promise<void>;
  /** What solo has printed so far (its console sign-in link among it). */
  output(): string;
}

/** An ordinary user to run solo as (the `npm start` of someone who is not root). */
export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * The built solo on `port` and `dataDir`, its gateway on free ports so tests never collide; as `user`
 * when given (with a PATH of the system's own tools, since root's may lie under /root).
 */
export function startSolo(
  port: number,
  dataDir: string,
  extraArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
  user?: RunAs,
): Started {
  const as = user
    ? ['setpriv', '--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', '--']
    : [];
  return start(
    as[0] ?? process.execPath,
    [
      ...as.slice(1),
      ...(user ? [process.execPath] : []),
      join(ROOT, 'apps/solo/dist/main.js'),
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--gateway-port',
      '0',
      '--gateway-tls-port',
      '0',
      ...extraArgs,
    ],
    // Its CLI context goes into the data directory unless said otherwise, never into the user's config.
    {
      DISPATCH_CONFIG: join(dataDir, 'cli-config.json'),
      ...(user && { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: dataDir }),
      ...env,
    },
  );
}

export async function startSoloSession(
  name: string,
  extraArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
  user?: RunAs,
): Promise<SoloSession> {
  const work = mkdtempSync(join(tmpdir(), `dispatch-${name}-`));
  const dataDir = join(work, 'data');
  if (user) {
    mkdirSync(dataDir);
    chownSync(work, user.uid, user.gid);
    chownSync(dataDir, user.uid, user.gid);
  }
  const port = await freePort();
  const solo = startSolo(
    port,
    dataDir,
    extraArgs,
    { DISPATCH_CONFIG: join(work, 'config.json'), ...env },
    user,
  );
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, solo);
  // Printed just after the API starts listening, so possibly a moment after it first answers.
  let served: RegExpExecArray | null = null;
  for (let i = 0; i < 100 && !served; i += 1) {
    served = /Endpoints are served on (\S+) and (\S+)/.exec(solo.output());
    if (served && !/local administrator/.test(solo.output())) served = null;
    if (!served) await new Promise((r) => setTimeout(r, 50));
  }
  if (!served) throw new Error(`solo did not say where endpoints are served:\n${solo.output()}`);
  // The CLI uses the context solo wrote for the local administrator, as a user's would.
  const dispatch = withServerLog(cliFor(port, work, [], join(work, 'config.json')), solo.output);
  return {
    port,
    pid: solo.child.pid as number,
    output: solo.output,
    gateway: { http: served[1] as string, https: served[2] as string },
    api: `http://127.0.0.1:${port}`,
    org: 'default',
    work,
    dataDir,
    ...driverProgramsIn(dataDir),
    dispatch,
    nodejsImage: (cliArgs = []) => createNodejsImage(dispatch, cliArgs),
    authorization: (signer) => bearerOf('default/admin', join(dataDir, 'admin.key'), signer),
    write: (file, text) => {
      writeFileSync(join(work, file), text);
      return join(work, file);
    },
    stop: async () => {
      await solo.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
