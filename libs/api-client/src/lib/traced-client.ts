import { context, propagation } from '@opentelemetry/api';
import { BaseDispatchClient } from './dispatch-client.js';

/**
 * The client of Node processes (the CLI, the services, the tests): each call carries the trace context
 * of the work it is part of, when the process traces (a no-op otherwise), so the callee's spans join it.
 * Kept apart so that the console's page does not load OpenTelemetry.
 */
export class DispatchClient extends BaseDispatchClient {
  protected override addTraceContext(headers: Record<string, string>): void {
    propagation.inject(context.active(), headers);
  }
}
