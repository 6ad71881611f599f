import type { OnApplicationBootstrap, OnApplicationShutdown, Provider } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ProcessRuntime } from '@dispatch/runtime';
import { FUNCTIONS_CONFIG, type FunctionsConfig } from './functions.config.js';
import { RUN_JOURNAL, type RunJournal } from './run/journal/run-journal.js';

export const PROCESS_RUNTIME = Symbol.for('dispatch.process-runtime');

export const processRuntimeProvider: Provider = {
  provide: PROCESS_RUNTIME,
  inject: [FUNCTIONS_CONFIG],
  useFactory: (config: FunctionsConfig) =>
    new ProcessRuntime({ prestart: ['nodejs', 'python3'], ...config.runtime }),
};

/**
 * Says how functions are kept apart when the app starts; stops every function process, and closes the
 * run journal, with it.
 */
@Injectable()
export class RuntimeLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(PROCESS_RUNTIME) private readonly runtime: ProcessRuntime,
    @Inject(RUN_JOURNAL) private readonly journal: RunJournal,
  ) {}

  onApplicationBootstrap(): void {
    const logger = new Logger('functions');
    if (this.runtime.sandboxed) logger.log(this.runtime.isolation);
    else logger.warn(this.runtime.isolation);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close();
    await this.journal.close();
  }
}
