export interface ImagesConfig {
  /** Image builds go under `<dataDir>/images/<org>/<project>/<name>/<revision>`. */
  dataDir: string;
}

export const IMAGES_CONFIG = Symbol.for('dispatch.images-config');
