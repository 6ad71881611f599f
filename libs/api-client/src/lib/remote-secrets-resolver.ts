import type { SecretsResolver, SecretValues } from '@dispatch/contracts';
import { serviceClients } from './service-clients.js';

/** The SecretsResolver of the distributed shape: the secrets service's `/v1/secret`, merged in order. */
export class RemoteSecretsResolver implements SecretsResolver {
  private readonly clientOf: ReturnType<typeof serviceClients>;

  /** `token` is the calling service's own credential (its ServiceIdentity), current on each call. */
  /** `requestId`: the call being handled, whose id each request carries. */
  constructor(secretsUrl: string, token?: () => string, requestId?: () => string | undefined) {
    this.clientOf = serviceClients(secretsUrl, token, requestId);
  }

  async resolve(org: string, project: string, names: string[]): Promise<SecretValues> {
    const client = this.clientOf({ org, project });
    const merged: SecretValues = {};
    for (const name of new Set(names)) Object.assign(merged, (await client.secrets.get(name)).secrets);
    return merged;
  }
}
