export { Sandbox } from './lib/sandbox.js';
export type { Mount, SandboxLimits, SandboxRun } from './lib/sandbox-run.js';
export { SandboxedProcess, SANDBOX_SETUP_ATTEMPTS, sandboxSetupFailed } from './lib/sandboxed-process.js';
export { Unconfined, UnconfinedProcess } from './lib/unconfined.js';
export { tenantSandbox, UNCONFINED_OPT_OUT } from './lib/tenant-sandbox.js';
export { systemTrustStore, trustEnv } from './lib/base-system.js';
