import { DispatchClient, SERVICE_RETRY } from './dispatch-client.js';
import { serviceTransport } from './transport.js';
import type { SecretsResolver, SecretValues } from '@dispatch/contracts';

/** The SecretsResolver of the distributed shape: the secrets service's `/v1/secret`, merged in order. */
export class RemoteSecretsResolver implements SecretsResolver {
  /** `token` is the calling service's own credential (its ServiceIdentity), current on each call. */
  constructor(
    private readonly secretsUrl: string,
    private readonly token?: () => string,
  ) {}

  async resolve(org: string, project: string, names: string[]): Promise<SecretValues> {
    const client = new DispatchClient({
      baseUrl: this.secretsUrl,
      org,
      project,
      token: this.token,
      retry: SERVICE_RETRY,
      transport: serviceTransport(),
    });
    const merged: SecretValues = {};
    for (const name of new Set(names)) Object.assign(merged, (await client.secrets.get(name)).secrets);
    return merged;
  }
}
