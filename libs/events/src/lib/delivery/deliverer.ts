import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  DomainError,
  FUNCTION_INVOKER,
  type Entity,
  type EventEnvelope,
  type FunctionInvoker,
  type Run,
  type SubscriptionSpec,
} from '@dispatch/contracts';
import type { BusMessage } from '@dispatch/messaging';
import { activeTracer, contextFrom, inSpan, SpanKind } from '@dispatch/platform';
import { v5 as uuidv5 } from 'uuid';
import { withoutData } from '../emission/cloud-event.js';
import {
  DEFAULT_DELIVERY_ATTEMPTS,
  DEFAULT_RETRY_BASE_MS,
  EVENTS_CONFIG,
  type EventsConfig,
} from '../events.config.js';
import { DeadLetterService } from './dead-letter.service.js';
import { DeliveryMetrics } from './delivery-metrics.js';

/** The namespace of delivery names: one per subscription and event id (RFC 9562 name-based UUIDs). */
const DELIVERY_NAMESPACE = 'a3f4b1d2-5c6e-4f70-8a9b-0c1d2e3f4a5b';

/** Refusals that mean "this function cannot take the event now", worth another attempt, then a dead letter. */
const ATTEMPT_FAILURES = new Set(['NOT_FOUND', 'INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED']);

/**
 * Delivers one event to one subscription's function, as a run through the functions domain's
 * FunctionInvoker. The run is named after the subscription and the event's id, so an event delivered
 * twice (redelivered by the bus, or emitted twice with one id) runs once. A failing run is tried again
 * with a doubling backoff; after the last attempt the event goes to the dead letters. When the
 * functions domain cannot be reached at all, the message is left to the bus to deliver again, without
 * spending attempts.
 */
@Injectable()
export class Deliverer {
  private readonly logger = new Logger('events');
  private readonly attempts: number;
  private readonly retryBaseMs: number;

  constructor(
    @Inject(FUNCTION_INVOKER) private readonly invoker: FunctionInvoker,
    @Inject(EVENTS_CONFIG) config: EventsConfig,
    private readonly deadLetters: DeadLetterService,
    @Optional() private readonly metrics?: DeliveryMetrics,
  ) {
    this.attempts = config.deliveryAttempts ?? DEFAULT_DELIVERY_ATTEMPTS;
    this.retryBaseMs = config.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  }

  /**
   * With tracing on, in a consumer span that continues the trace the event carries (the CloudEvents
   * distributed-tracing extension, `traceparent`, set where it was emitted).
   */
  deliver(subscription: Entity<SubscriptionSpec>, message: BusMessage<EventEnvelope>): Promise<void> {
    const { project, event } = message.value;
    // One topic per org and type; the project is the event's own.
    if (project !== subscription.project) return Promise.resolve();
    if (!activeTracer()) return this.attempt(subscription, message);
    return inSpan(
      `deliver ${event.eventType}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFrom(event.extensions ?? {}),
        attributes: {
          'dispatch.org': subscription.org,
          'dispatch.subscription': subscription.name,
          'cloudevents.event_id': event.eventID,
          'cloudevents.event_type': event.eventType,
        },
      },
      () => this.attempt(subscription, message),
    );
  }

  private async attempt(
    subscription: Entity<SubscriptionSpec>,
    message: BusMessage<EventEnvelope>,
  ): Promise<void> {
    const { project, event } = message.value;
    const scope = { org: subscription.org, project };
    const name = uuidv5(`${subscription.id}/${event.eventID}`, DELIVERY_NAMESPACE);
    let failure = '';
    let run: Run | undefined;
    for (let attempt = 1; attempt <= this.attempts; attempt += 1) {
      if (attempt > 1) {
        this.metrics?.retried(scope.org, subscription.name);
        await sleep(this.retryBaseMs * 2 ** (attempt - 2));
      }
      try {
        run = await this.invoker.run(scope, {
          functionName: subscription.spec.function,
          name,
          input: event.data ?? null,
          blocking: true,
          secrets: subscription.spec.secrets,
          event: withoutData(event) as Record<string, unknown>,
        });
      } catch (err) {
        if (!(err instanceof DomainError && ATTEMPT_FAILURES.has(err.code))) throw err;
        failure = err.message;
        continue;
      }
      if (run.status !== 'ERROR') {
        this.metrics?.delivered(scope.org, subscription.name, false);
        return;
      }
      failure = run.error ? `${run.error.type}: ${run.error.message}` : run.reason.join('; ');
    }
    this.logger.warn(
      `event ${event.eventID} (${event.eventType}) to ${subscription.spec.function} failed ${this.attempts} times: ${failure}`,
    );
    await this.deadLetters.record(scope, name, {
      subscription: subscription.name,
      function: subscription.spec.function,
      event,
      attempts: this.attempts,
      error: failure,
      run: run?.name,
      failedTime: Math.floor(Date.now() / 1000),
    });
    this.metrics?.delivered(scope.org, subscription.name, true);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
