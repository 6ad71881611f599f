import { Controller } from '@nestjs/common';
import { subscriptionRequest } from '@dispatch/contracts';
import { CrudRoutes, Resource } from '@dispatch/platform';
import { SubscriptionService } from './subscription.service.js';

/** `/v1/event/subscriptions`, as in the upstream event-manager.yaml (create answers 201). */
@Controller('v1/event/subscriptions')
@Resource('subscription')
export class SubscriptionController extends CrudRoutes({
  service: SubscriptionService,
  body: subscriptionRequest,
  what: 'subscription',
  watch: true,
}) {}
