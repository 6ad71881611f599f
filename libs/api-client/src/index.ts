export { DispatchClient, ApiError, type ClientOptions, type ResourceClient } from './lib/dispatch-client.js';
export { packSource } from './lib/source-archive.js';
