import { Logger } from '@nestjs/common';
import { Sandbox } from './sandbox.js';
import { Unconfined } from './unconfined.js';

/** The variable that lets tenants' code run with no sandbox at all: for a machine that cannot make one. */
export const UNCONFINED_OPT_OUT = 'DISPATCH_UNSAFE_RUN_TENANT_CODE_UNCONFINED';

let found: Sandbox | Unconfined | undefined;

/**
 * Where this process runs what tenants send: a Sandbox when the machine can make one. Otherwise
 * Dispatch refuses to run tenant code at all (UNAVAILABLE, saying why and what to install), unless the
 * operator set DISPATCH_UNSAFE_RUN_TENANT_CODE_UNCONFINED=1, which runs it on the host as Dispatch's
 * own user and says so loudly at start-up.
 */
export function tenantSandbox(env: NodeJS.ProcessEnv = process.env): Sandbox | Unconfined {
  if (found) return found;
  const sandbox = Sandbox.detect();
  const logger = new Logger('sandbox');
  if (sandbox instanceof Sandbox) {
    found = sandbox;
    if (sandbox.egress === true) logger.log(sandbox.description);
    else logger.warn(sandbox.description);
  } else if (env[UNCONFINED_OPT_OUT] === '1') {
    found = new Unconfined(sandbox);
    logger.warn(
      `${UNCONFINED_OPT_OUT}=1: TENANTS' CODE RUNS UNCONFINED, as Dispatch's own user, with its files, keys and network in reach (${sandbox})`,
    );
  } else {
    found = new Unconfined(sandbox, false);
    logger.error(
      `tenants' code cannot be sandboxed here (${sandbox}): functions, image builds and driver programs will be refused; install what is missing, or set ${UNCONFINED_OPT_OUT}=1 to run it unconfined`,
    );
  }
  return found;
}
