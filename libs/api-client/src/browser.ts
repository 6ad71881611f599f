// What a browser may load: the client over fetch, nothing that needs Node (the console's entry).
export {
  BaseDispatchClient as DispatchClient,
  ApiError,
  type ClientOptions,
  type FollowEvent,
  type ResourceClient,
  type WatchChange,
} from './lib/dispatch-client.js';
