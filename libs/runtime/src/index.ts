export * from './lib/protocol.js';
export {
  ProcessRuntime,
  type FunctionSpec,
  type ProcessRuntimeOptions,
} from './lib/process/process-runtime.js';
export { RunnerProcess, prepareJavaRunner, type RunnerOptions } from './lib/process/runner-process.js';
export { compileFunction } from './lib/process/compile.js';
