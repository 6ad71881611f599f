export { DispatchClient, ApiError, type ClientOptions } from './lib/dispatch-client.js';
