import type { OnApplicationBootstrap, OnApplicationShutdown, Provider } from '@nestjs/common';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesRuntime, ProcessRuntime, type FunctionRuntime } from '@dispatch/runtime';
import { FunctionMetrics } from './function-metrics.js';
import { FUNCTIONS_CONFIG, type FunctionsConfig } from './functions.config.js';
import { RUN_JOURNAL, type RunJournal } from './journal/run-journal.js';

export const FUNCTION_RUNTIME = Symbol.for('dispatch.function-runtime');

/** Local processes, or workloads on Kubernetes when the config says so (the chart's choice). */
export const functionRuntimeProvider: Provider = {
  provide: FUNCTION_RUNTIME,
  inject: [FUNCTIONS_CONFIG, FunctionMetrics],
  useFactory: (config: FunctionsConfig, metrics: FunctionMetrics): FunctionRuntime => {
    if (config.kubernetes) {
      // The pod's own service account and namespace in a cluster, else KUBECONFIG or ~/.kube/config.
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromDefault();
      const namespace =
        config.kubernetes.namespace ??
        kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ??
        'default';
      const runtime = new KubernetesRuntime({
        ...config.kubernetes,
        namespace,
        kubeConfig,
        dataDir: config.dataDir,
        observer: metrics,
      });
      metrics.watchPools(() => runtime.poolStates());
      return runtime;
    }
    // Runners' sockets stay under the data directory, whose owner alone may enter it.
    const runtime = new ProcessRuntime({
      socketsDir: join(config.dataDir, 'runners'),
      observer: metrics,
      ...config.runtime,
    });
    metrics.watchPools(() => runtime.poolStates());
    return runtime;
  },
};

/**
 * Says how functions are kept apart when the app starts; stops every function process, and closes the
 * run journal, with it.
 */
@Injectable()
export class RuntimeLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(FUNCTION_RUNTIME) private readonly runtime: FunctionRuntime,
    @Inject(RUN_JOURNAL) private readonly journal: RunJournal,
  ) {}

  onApplicationBootstrap(): void {
    const logger = new Logger('functions');
    if (this.runtime.isolated) logger.log(this.runtime.isolation);
    else logger.warn(this.runtime.isolation);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close();
    await this.journal.close();
  }
}
