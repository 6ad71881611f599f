import { Controller } from '@nestjs/common';
import { endpointRequest } from '@dispatch/contracts';
import { CrudRoutes } from '@dispatch/platform';
import { EndpointService } from './endpoint.service.js';

/** `/v1/endpoint`, as in the upstream endpoints.yaml (whose create answers 200). */
@Controller('v1/endpoint')
export class EndpointController extends CrudRoutes({
  service: EndpointService,
  body: endpointRequest,
  what: 'endpoint',
  status: { create: 200 },
}) {}
