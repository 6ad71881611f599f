import type { FunctionInvoker, InvocationRequest, Run } from '@dispatch/contracts';
import { serviceClients } from './service-clients.js';

/**
 * The FunctionInvoker of the distributed shape: the functions service's `/v1/runs`, in the caller's
 * org and project (the gateway's endpoint, the events service's subscription). A run's failure comes
 * back inside the Run; the service's own refusals (no such function, too busy) as the ApiError they are.
 */
export class RemoteFunctionInvoker implements FunctionInvoker {
  private readonly clientOf: ReturnType<typeof serviceClients>;

  /** `token` is the calling service's own credential (its ServiceIdentity), current on each call. */
  constructor(functionsUrl: string, token?: () => string) {
    this.clientOf = serviceClients(functionsUrl, token);
  }

  run(scope: { org: string; project: string }, request: InvocationRequest): Promise<Run> {
    return this.clientOf(scope).request<Run>('POST', '/v1/runs', request);
  }
}
