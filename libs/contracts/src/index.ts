export * from './lib/errors.js';
export * from './lib/entity.js';
export * from './lib/version.js';
