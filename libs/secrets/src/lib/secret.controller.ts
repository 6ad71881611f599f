import { Controller } from '@nestjs/common';
import { secretRequest } from '@dispatch/contracts';
import { CrudRoutes } from '@dispatch/platform';
import { SecretService } from './secret.service.js';

/** `/v1/secret`, as in the upstream secrets.yaml (whose update answers 201 and delete 204). */
@Controller('v1/secret')
export class SecretController extends CrudRoutes({
  service: SecretService,
  body: secretRequest,
  what: 'secret',
  status: { update: 201, delete: 204 },
}) {}
