import { Controller } from '@nestjs/common';
import { baseImageRequest } from '@dispatch/contracts';
import { CrudRoutes } from '@dispatch/platform';
import { BaseImageService } from './base-image.service.js';

/** `/v1/baseimage`, as in the upstream baseimages.yaml. */
@Controller('v1/baseimage')
export class BaseImageController extends CrudRoutes({
  service: BaseImageService,
  body: baseImageRequest,
  what: 'base image',
  watch: true,
}) {}
