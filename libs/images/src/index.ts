export { ImagesModule } from './lib/images.module.js';
export type { ImagesConfig } from './lib/images.config.js';
