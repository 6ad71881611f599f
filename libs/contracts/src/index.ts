export * from './lib/errors.js';
export * from './lib/entity.js';
export * from './lib/version.js';
export * from './lib/models/api-model.js';
export * from './lib/models/image.js';
export * from './lib/models/function.js';
export * from './lib/models/secret.js';
