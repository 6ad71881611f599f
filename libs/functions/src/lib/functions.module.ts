import { Module, type DynamicModule } from '@nestjs/common';
import { MESSAGE_BUS, type MessageBus } from '@dispatch/messaging';
import { FUNCTION_INVOKER } from '@dispatch/contracts';
import { ApplicationController } from './application/application.controller.js';
import { ApplicationService } from './application/application.service.js';
import { FunctionCatalog } from './function/function.catalog.js';
import { FunctionController } from './function/function.controller.js';
import { FunctionReconciler } from './function/function.reconciler.js';
import { FunctionService } from './function/function.service.js';
import { BusActivityRelay } from './activity/bus-activity-relay.js';
import { FunctionActivity } from './activity/function-activity.js';
import { FunctionMetrics } from './function-metrics.js';
import { FUNCTIONS_CONFIG, type FunctionsConfig } from './functions.config.js';
import { RunController } from './run/run.controller.js';
import { RunService } from './run/run.service.js';
import { RunChannelServer } from './run/run-channel.server.js';
import { runJournalProvider } from './journal/run-journal.provider.js';
import { SchemaValidator } from './schema-validator.js';
import { RunFeed } from './feed/run-feed.js';
import { BusRunRelay } from './feed/bus-run-relay.js';
import { functionRuntimeProvider, RuntimeLifecycle } from './runtime.provider.js';

/**
 * Functions and runs: `/v1/function`, `/v1/runs`, the reconciler that prepares functions, the runtime;
 * and `/v1/application`, the grouping of entities of every kind.
 * Global, so other domains in the same process (the gateway, events) reach the FunctionInvoker without
 * importing this one.
 */
@Module({})
export class FunctionsModule {
  static forRoot(config: FunctionsConfig): DynamicModule {
    return {
      module: FunctionsModule,
      global: true,
      controllers: [FunctionController, RunController, ApplicationController],
      providers: [
        { provide: FUNCTIONS_CONFIG, useValue: config },
        FunctionMetrics,
        FunctionActivity,
        functionRuntimeProvider,
        RuntimeLifecycle,
        SchemaValidator,
        FunctionService,
        FunctionCatalog,
        FunctionReconciler,
        runJournalProvider,
        RunService,
        ApplicationService,
        { provide: FUNCTION_INVOKER, useExisting: RunService },
        RunFeed,
        ...(config.replicated
          ? [
              {
                provide: BusRunRelay,
                inject: [MESSAGE_BUS, RunFeed],
                useFactory: (bus: MessageBus, feed: RunFeed) => new BusRunRelay(bus, feed),
              },
              {
                provide: BusActivityRelay,
                inject: [MESSAGE_BUS, FunctionActivity],
                useFactory: (bus: MessageBus, activity: FunctionActivity) =>
                  new BusActivityRelay(bus, activity),
              },
            ]
          : []),
        ...(config.runChannel ? [RunChannelServer] : []),
      ],
      exports: [FUNCTION_INVOKER],
    };
  }
}
