export * from './lib/protocol.js';
export { boundedLogs } from './lib/bounded-logs.js';
export {
  FUNCTION_DEFAULTS,
  RetiredVersions,
  VersionRetired,
  type FunctionRuntime,
  type FunctionSpec,
} from './lib/function-runtime.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './lib/process/process-runtime.js';
export { RunnerProcess } from './lib/process/runner-process.js';
export { prepareJavaRunner, type RunnerOptions } from './lib/process/runner-launch.js';
export { compileFunction } from './lib/process/compile.js';
export { toolchainOf, type Toolchain } from './lib/process/toolchain.js';
export {
  KubernetesRuntime,
  type KubernetesRuntimeOptions,
  type WorkloadStatus,
} from './lib/kubernetes/kubernetes-runtime.js';
export { functionDeployment, functionService, workloadName } from './lib/kubernetes/workload.js';
export type { ColdStartPhase, PoolState, RuntimeObserver } from './lib/runtime-observer.js';
