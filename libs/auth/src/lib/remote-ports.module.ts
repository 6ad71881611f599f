import { Module, type DynamicModule, type InjectionToken, type Provider } from '@nestjs/common';
import { RemoteFunctionInvoker, RemoteSecretsResolver } from '@dispatch/api-client';
import {
  FUNCTION_INVOKER,
  localServiceUrl,
  peerUrlVariable,
  SECRETS_RESOLVER,
  TOPOLOGY,
  type SecretsResolver,
  type ServiceName,
} from '@dispatch/contracts';
import { currentRequestId, envTypes, parseEnv } from '@dispatch/platform';
import { serviceClient } from './service-client.js';

export interface RemotePortsOptions {
  /** The service these are the peers of: the topology table says whom it calls. */
  service: ServiceName;
  /**
   * How the secrets service's resolver is used, when it is a peer: as it is, unless wrapped (the
   * functions service caches it, kept current by the secrets service's domain events).
   */
  wrapSecrets?: {
    inject: InjectionToken[];
    wrap: (remote: SecretsResolver, ...deps: never[]) => SecretsResolver;
  };
  env?: NodeJS.ProcessEnv;
}

const REMOTE_SECRETS = Symbol('remote-secrets');

/**
 * The ports a service of the distributed shape reaches its peers through, each at its peer's
 * DISPATCH_<NAME>_URL (the peer's own port on this machine by default), called with the service's own
 * credential: the functions service's runs (FUNCTION_INVOKER) and the secrets service's values
 * (SECRETS_RESOLVER). Global, as solo's local domains provide the same tokens.
 */
@Module({})
export class RemotePortsModule {
  static forRoot(options: RemotePortsOptions): DynamicModule {
    const peers = TOPOLOGY[options.service].peers;
    const urls = parseEnv(
      Object.fromEntries(peers.map((peer) => [peerUrlVariable(peer), envTypes.url(localServiceUrl(peer))])),
      options.env ?? process.env,
    ) as Record<string, string>;
    const urlOf = (peer: ServiceName) => urls[peerUrlVariable(peer)] as string;
    const providers: Provider[] = [];
    const exports: InjectionToken[] = [];
    for (const peer of peers) {
      switch (peer) {
        case 'functions':
          providers.push(
            serviceClient(
              FUNCTION_INVOKER,
              (token) => new RemoteFunctionInvoker(urlOf(peer), token, { requestId: currentRequestId }),
            ),
          );
          exports.push(FUNCTION_INVOKER);
          break;
        case 'secrets': {
          const wrap = options.wrapSecrets;
          providers.push(
            serviceClient(
              REMOTE_SECRETS,
              (token) => new RemoteSecretsResolver(urlOf(peer), token, currentRequestId),
            ),
            {
              provide: SECRETS_RESOLVER,
              inject: [REMOTE_SECRETS, ...(wrap?.inject ?? [])],
              useFactory: (remote: SecretsResolver, ...deps: never[]) =>
                wrap ? wrap.wrap(remote, ...deps) : remote,
            },
          );
          exports.push(SECRETS_RESOLVER);
          break;
        }
        case 'identity':
        case 'images':
        case 'events':
        case 'api-gateway':
          throw new Error(`the topology names ${peer} a peer of ${options.service}, and no port reaches it`);
      }
    }
    return { module: RemotePortsModule, global: true, providers, exports };
  }
}
