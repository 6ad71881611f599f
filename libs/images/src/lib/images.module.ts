import { Module, type DynamicModule } from '@nestjs/common';
import { BaseImageController } from './base-image/base-image.controller.js';
import { BaseImageReconciler } from './base-image/base-image.reconciler.js';
import { BaseImageService } from './base-image/base-image.service.js';
import { ImageController } from './image/image.controller.js';
import { BuildMetrics } from './image/build-metrics.js';
import { ImageReconciler } from './image/image.reconciler.js';
import { ImageService } from './image/image.service.js';
import { IMAGES_CONFIG, type ImagesConfig } from './images.config.js';

/** Base images and images: `/v1/baseimage`, `/v1/image` and the reconcilers that make them READY. */
@Module({})
export class ImagesModule {
  static forRoot(config: ImagesConfig): DynamicModule {
    return {
      module: ImagesModule,
      controllers: [BaseImageController, ImageController],
      providers: [
        { provide: IMAGES_CONFIG, useValue: config },
        BaseImageService,
        ImageService,
        BaseImageReconciler,
        ImageReconciler,
        BuildMetrics,
      ],
    };
  }
}
