import { Module, type DynamicModule } from '@nestjs/common';
import { DeadLetterController } from './delivery/dead-letter.controller.js';
import { DeadLetterService } from './delivery/dead-letter.service.js';
import { DeliveryMetrics } from './delivery/delivery-metrics.js';
import { Deliverer } from './delivery/deliverer.js';
import { DriverController, DriverTypeController } from './driver/driver.controller.js';
import { DriverManager } from './driver/driver-manager.js';
import { DriverTypeService } from './driver/driver-type.service.js';
import { DriverService } from './driver/driver.service.js';
import { WebhookController } from './driver/webhook.controller.js';
import { EmissionController } from './emission/emission.controller.js';
import { EmissionService } from './emission/emission.service.js';
import { EVENTS_CONFIG, type EventsConfig } from './events.config.js';
import { SubscriptionController } from './subscription/subscription.controller.js';
import { SubscriptionManager } from './subscription/subscription-manager.js';
import { SubscriptionService } from './subscription/subscription.service.js';

/**
 * Events: `POST /v1/event` (emit), `/v1/event/subscriptions` with a consumer per subscription on the
 * MESSAGE_BUS, and `/v1/event/deadletters`. Functions run through the FUNCTION_INVOKER another module
 * provides (the functions domain in solo, its service's API in the distributed shape).
 */
@Module({})
export class EventsModule {
  static forRoot(config: EventsConfig): DynamicModule {
    return {
      module: EventsModule,
      controllers: [
        SubscriptionController,
        DeadLetterController,
        DriverController,
        DriverTypeController,
        WebhookController,
        EmissionController,
      ],
      providers: [
        { provide: EVENTS_CONFIG, useValue: config },
        EmissionService,
        SubscriptionService,
        SubscriptionManager,
        Deliverer,
        DeliveryMetrics,
        DeadLetterService,
        DriverTypeService,
        DriverService,
        DriverManager,
      ],
    };
  }
}
