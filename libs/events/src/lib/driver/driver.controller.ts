import { Controller } from '@nestjs/common';
import { eventDriverRequest, eventDriverTypeRequest } from '@dispatch/contracts';
import { CrudRoutes, Resource } from '@dispatch/platform';
import { DriverTypeService } from './driver-type.service.js';
import { DriverService } from './driver.service.js';

/** `/v1/event/drivers`, as in the upstream event-manager.yaml (create answers 201). */
@Controller('v1/event/drivers')
@Resource('eventdriver')
export class DriverController extends CrudRoutes({
  service: DriverService,
  body: eventDriverRequest,
  what: 'event driver',
  watch: true,
}) {}

/** `/v1/event/drivertypes`, as in the upstream event-manager.yaml; the built-in types are listed too. */
@Controller('v1/event/drivertypes')
@Resource('eventdrivertype')
export class DriverTypeController extends CrudRoutes({
  service: DriverTypeService,
  body: eventDriverTypeRequest,
  what: 'event driver type',
  watch: true,
}) {}
