import { Controller } from '@nestjs/common';
import { imageRequest } from '@dispatch/contracts';
import { CrudRoutes } from '@dispatch/platform';
import { ImageService } from './image.service.js';

/** `/v1/image`, as in the upstream images.yaml. */
@Controller('v1/image')
export class ImageController extends CrudRoutes({
  service: ImageService,
  body: imageRequest,
  what: 'image',
  watch: true,
}) {}
