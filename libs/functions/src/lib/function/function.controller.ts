import { Controller } from '@nestjs/common';
import { functionRequest } from '@dispatch/contracts';
import { CrudRoutes } from '@dispatch/platform';
import { FunctionService } from './function.service.js';

/** `/v1/function`, as in the upstream functions.yaml. */
@Controller('v1/function')
export class FunctionController extends CrudRoutes({
  service: FunctionService,
  body: functionRequest,
  what: 'function',
}) {}
