import { Controller } from '@nestjs/common';
import { ENDPOINT_KIND, endpointRequest } from '@dispatch/contracts';
import { CrudRoutes, Resource } from '@dispatch/platform';
import { EndpointService } from './endpoint.service.js';

/** `/v1/endpoint`, as in the upstream endpoints.yaml (whose create answers 200). */
@Controller('v1/endpoint')
export class EndpointController extends CrudRoutes({
  service: EndpointService,
  body: endpointRequest,
  what: 'endpoint',
  watch: true,
  status: { create: 200 },
}) {}

/**
 * `/v1/api`, v0.1's API manager (api-manager.yaml): the same endpoints under the name v0.1 gave them, so
 * its CLI's `create api` and its YAML's `kind: API` manage what `/v1/endpoint` lists. Its fields are
 * endpoints' (`authentication` and `tls`, which Dispatch decides otherwise, are ignored), and so are
 * the policies that govern them: `endpoint` is the resource.
 */
@Controller('v1/api')
@Resource(ENDPOINT_KIND)
export class ApiController extends CrudRoutes({
  service: EndpointService,
  body: endpointRequest,
  what: 'API',
  status: { create: 200 },
}) {}
