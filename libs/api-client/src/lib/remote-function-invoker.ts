import type { FunctionInvoker, InvocationRequest, Run } from '@dispatch/contracts';
import { RunChannelClient, RunChannelRefused, type RunChannelOptions } from './run-channel.client.js';
import { serviceClients } from './service-clients.js';

/** How long a functions service that has no run channel (an older version) is called over HTTP. */
const WITHOUT_CHANNEL_MS = 60_000;

/**
 * The FunctionInvoker of the distributed shape: the functions service's runs, in the caller's org and
 * project (the gateway's endpoint, the events service's subscription), over the run channel; over
 * `POST /v1/runs` while the service answers the channel with 404 (an older version, mid-upgrade). A
 * run's failure comes back inside the Run; the service's own refusals (no such function, too busy) as
 * the ApiError they are.
 */
export class RemoteFunctionInvoker implements FunctionInvoker {
  private readonly channel: RunChannelClient;
  private readonly clientOf: ReturnType<typeof serviceClients>;
  private httpUntil = 0;

  /** `token` is the calling service's own credential (its ServiceIdentity), current on each call. */
  constructor(functionsUrl: string, token?: () => string, options?: RunChannelOptions) {
    this.channel = new RunChannelClient(functionsUrl, () => token?.(), options);
    this.clientOf = serviceClients(functionsUrl, token, options?.requestId);
  }

  async run(scope: { org: string; project: string }, request: InvocationRequest): Promise<Run> {
    if (Date.now() < this.httpUntil) return this.overHttp(scope, request);
    try {
      return await this.channel.run(scope, request);
    } catch (err) {
      // Only an upgrade answered 404 says "no channel here"; a call's NOT_FOUND names a missing function.
      if (!(err instanceof RunChannelRefused && err.status === 404)) throw err;
      this.httpUntil = Date.now() + WITHOUT_CHANNEL_MS;
      return this.overHttp(scope, request);
    }
  }

  onApplicationShutdown(): void {
    this.channel.close();
  }

  private overHttp(scope: { org: string; project: string }, request: InvocationRequest): Promise<Run> {
    return this.clientOf(scope).request<Run>('POST', '/v1/runs', request);
  }
}
