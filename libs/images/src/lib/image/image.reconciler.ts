import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  BASE_IMAGE_KIND,
  IMAGE_KIND,
  type BaseImageSpec,
  type Entity,
  type ImageSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { ensurePrivateDir, EntityReconciler, sandboxUidFor } from '@dispatch/platform';
import { IMAGES_CONFIG, type ImagesConfig } from '../images.config.js';
import { BuildMetrics } from './build-metrics.js';
import { buildImage } from './image-builder.js';

/** Where an image's builds live; each build gets a directory named after the revision it built. */
export function imageRoot(
  config: ImagesConfig,
  image: { org: string; project: string; name: string },
): string {
  return join(config.dataDir, 'images', image.org, image.project, image.name);
}

/**
 * Builds images: waits for the base image to be READY, installs the dependencies into a fresh
 * directory, then moves the image to READY pointing at it (and drops the previous build), or to ERROR
 * with the reason. Deleting removes the builds and the entity.
 */
@Injectable()
export class ImageReconciler extends EntityReconciler<ImageSpec> {
  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Inject(IMAGES_CONFIG) private readonly config: ImagesConfig,
    @Optional() private readonly metrics?: BuildMetrics,
  ) {
    super(store, IMAGE_KIND);
  }

  protected async reconcile(image: Entity<ImageSpec>): Promise<void | number> {
    if (image.status === 'DELETING') {
      await rm(imageRoot(this.config, image), { recursive: true, force: true });
      await this.store.delete(image, { revision: image.revision });
      return;
    }
    let base: Entity<BaseImageSpec>;
    try {
      base = await this.store.get<BaseImageSpec>({
        ...image,
        kind: BASE_IMAGE_KIND,
        name: image.spec.baseImage,
      });
    } catch {
      return this.fail(image, `base image ${image.spec.baseImage} not found`);
    }
    if (base.status === 'ERROR')
      return this.fail(image, `base image ${base.name} is in ERROR: ${base.reason.join('; ')}`);
    if (base.status !== 'READY') return 500;

    // Claim the work first: a conflict here means the image changed again and will come back.
    const building = await this.store.update<ImageSpec>({
      ...image,
      status: image.status === 'UPDATING' ? 'UPDATING' : 'CREATING',
    });
    await ensurePrivateDir(join(this.config.dataDir, 'images'));
    await ensurePrivateDir(join(this.config.dataDir, 'caches'));
    const dir = join(imageRoot(this.config, image), String(building.revision));
    const started = performance.now();
    const failure = await buildImage({
      language: base.spec.language,
      dir,
      manifest: image.spec.runtimeDependencies?.manifest,
      packages: image.spec.systemDependencies?.packages,
      // An org's builds share one user and one package cache, which no other org's builds can touch.
      uid: await sandboxUidFor(this.store, `image-builds:${image.org}`),
      cacheDir: join(this.config.dataDir, 'caches', image.org),
    });
    this.metrics?.observe(base.spec.language, failure !== undefined, (performance.now() - started) / 1000);
    if (failure) {
      await rm(dir, { recursive: true, force: true });
      await this.fail(building, failure);
      return;
    }
    const previous = image.spec.backingObject?.dir;
    await this.store.update<ImageSpec>({
      ...building,
      spec: {
        ...image.spec,
        language: base.spec.language,
        imageURL: base.spec.imageURL,
        backingObject: { dir },
      },
      status: 'READY',
      reason: [],
    });
    if (previous && previous !== dir) await rm(previous, { recursive: true, force: true });
  }

  private async fail(image: Entity<ImageSpec>, reason: string): Promise<void> {
    await this.store.update<ImageSpec>({ ...image, status: 'ERROR', reason: [reason] });
  }
}
