export { DispatchClient } from './lib/traced-client.js';
export {
  BaseDispatchClient,
  ApiError,
  type ClientOptions,
  type FollowEvent,
  type ResourceClient,
  type WatchChange,
} from './lib/dispatch-client.js';
export {
  fetchTransport,
  keptAliveTransport,
  serviceTransport,
  type HttpAnswer,
  type HttpCall,
  type Transport,
} from './lib/transport.js';
export { packSource } from './lib/source-archive.js';
export { RemoteFunctionInvoker } from './lib/remote-function-invoker.js';
export { RemoteSecretsResolver } from './lib/remote-secrets-resolver.js';
export {
  readCliConfig,
  writeCliConfig,
  saveCliContext,
  type CliConfigFile,
  type CliContext,
  type CliSession,
} from './lib/cli-config.js';
export { RunChannelClient, RunChannelRefused, type RunChannelOptions } from './lib/run-channel.client.js';
