import type { ProcessRuntimeOptions } from '@dispatch/runtime';

export interface FunctionsConfig {
  /** Prepared code goes under `<dataDir>/functions/<org>/<project>/<name>/<revision>`. */
  dataDir: string;
  /** Runs kept per function; older ones are deleted. */
  runRetention?: number;
  runtime?: ProcessRuntimeOptions;
}

export const FUNCTIONS_CONFIG = Symbol.for('dispatch.functions-config');
