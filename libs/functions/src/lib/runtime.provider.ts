import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { ProcessRuntime } from '@dispatch/runtime';
import { FUNCTIONS_CONFIG, type FunctionsConfig } from './functions.config.js';

export const PROCESS_RUNTIME = Symbol.for('dispatch.process-runtime');

export const processRuntimeProvider: Provider = {
  provide: PROCESS_RUNTIME,
  inject: [FUNCTIONS_CONFIG],
  useFactory: (config: FunctionsConfig) =>
    new ProcessRuntime({ prestart: ['nodejs', 'python3'], ...config.runtime }),
};

/** Stops every function process with the app. */
@Injectable()
export class RuntimeCloser implements OnApplicationShutdown {
  constructor(@Inject(PROCESS_RUNTIME) private readonly runtime: ProcessRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close();
  }
}
