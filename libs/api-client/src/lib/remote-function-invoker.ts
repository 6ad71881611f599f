import { DispatchClient, SERVICE_RETRY } from './dispatch-client.js';
import { serviceTransport } from './transport.js';
import type { FunctionInvoker, InvocationRequest, Run } from '@dispatch/contracts';

/**
 * The FunctionInvoker of the distributed shape: the functions service's `/v1/runs`, in the caller's
 * org and project (the gateway's endpoint, the events service's subscription). A run's failure comes back inside the Run; the service's own refusals (no such
 * function, too busy) as the ApiError they are.
 */
export class RemoteFunctionInvoker implements FunctionInvoker {
  /** `token` is the calling service's own credential (its ServiceIdentity), current on each call. */
  constructor(
    private readonly functionsUrl: string,
    private readonly token?: () => string,
  ) {}

  run(scope: { org: string; project: string }, request: InvocationRequest): Promise<Run> {
    const client = new DispatchClient({
      baseUrl: this.functionsUrl,
      org: scope.org,
      project: scope.project,
      token: this.token,
      retry: SERVICE_RETRY,
      transport: serviceTransport(),
    });
    return client.request<Run>('POST', '/v1/runs', request);
  }
}
