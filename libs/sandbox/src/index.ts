export {
  Sandbox,
  SandboxedProcess,
  SANDBOX_SETUP_ATTEMPTS,
  sandboxSetupFailed,
  type Mount,
  type SandboxLimits,
  type SandboxRun,
} from './lib/sandbox.js';
export { Unconfined, UnconfinedProcess } from './lib/unconfined.js';
export { tenantSandbox, UNCONFINED_OPT_OUT } from './lib/tenant-sandbox.js';
export { systemTrustStore, trustEnv } from './lib/base-system.js';
