export { DispatchClient, ApiError, type ClientOptions } from './lib/dispatch-client.js';
export { packSource } from './lib/source-archive.js';
