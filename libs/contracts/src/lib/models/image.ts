import type { ApiModel } from './api-model.js';

export const IMAGE_LANGUAGES = ['nodejs', 'python3', 'java'] as const;
export type ImageLanguage = (typeof IMAGE_LANGUAGES)[number];

/** `kind` values in the entity store. */
export const BASE_IMAGE_KIND = 'baseimage';
export const IMAGE_KIND = 'image';

export interface BaseImageSpec {
  /** The container image the runner uses on Kubernetes; informational in solo. */
  imageURL: string;
  language: ImageLanguage;
}

export interface SystemPackage {
  name: string;
  version?: string;
}

export interface ImageSpec {
  baseImage: string;
  /** Copied from the base image when the image is built. */
  language?: ImageLanguage;
  imageURL?: string;
  /** package.json (nodejs), requirements.txt (python3) or pom.xml (java), as text. */
  runtimeDependencies?: { manifest?: string };
  systemDependencies?: { packages?: SystemPackage[] };
  /** Where the last good build's dependencies are, filled by the image reconciler. */
  backingObject?: { dir: string };
}

/** A base image as the API answers it; `dockerUrl` is v0.1's name for `imageURL`. */
export type BaseImage = ApiModel<BaseImageSpec> & { dockerUrl?: string };
/**
 * What the API shows of an image: not where its build lives on the host. `baseImageName` and
 * `dockerUrl` are v0.1's names for `baseImage` and `imageURL`.
 */
export type Image = ApiModel<Omit<ImageSpec, 'backingObject'>> & {
  baseImageName?: string;
  dockerUrl?: string;
};
