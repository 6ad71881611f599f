import { Controller } from '@nestjs/common';
import { applicationRequest } from '@dispatch/contracts';
import { CrudRoutes } from '@dispatch/platform';
import { ApplicationService } from './application.service.js';

/** `/v1/application`, in the style of the upstream API's other resources. */
@Controller('v1/application')
export class ApplicationController extends CrudRoutes({
  service: ApplicationService,
  body: applicationRequest,
  what: 'application',
}) {}
