import { Inject, Injectable } from '@nestjs/common';
import type { CloudEvent, Emission, EventEnvelope, Tag } from '@dispatch/contracts';
import { MESSAGE_BUS, type MessageBus } from '@dispatch/messaging';
import { activeTracer, inSpan, SpanKind, traceHeaders, type RequestScope } from '@dispatch/platform';
import { v4 as uuidv4 } from 'uuid';
import { topicOf } from '../topics.js';
import { parseCloudEvent } from './cloud-event.js';

/** Emits events: checked, then published to the org's topic for their type, keyed by event id. */
@Injectable()
export class EmissionService {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  async emit(scope: RequestScope, body: unknown): Promise<Emission> {
    // Tags belong to the emission (the upstream model), not to the event.
    const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
    const { tags: rawTags, ...fields } = (isObject ? body : {}) as { tags?: unknown };
    return this.publish(scope, parseCloudEvent(isObject ? fields : body), tagsOf(rawTags));
  }

  /**
   * Publishes an event already checked (by parseCloudEvent, or made by a driver). With tracing on, in a
   * producer span whose context the event carries in the CloudEvents distributed-tracing extension
   * (`traceparent`, `tracestate`), unless its emitter set one: the context of its creation, which the
   * extension's specification says stays as it was.
   */
  publish(scope: RequestScope, event: CloudEvent, tags: Tag[] = []): Promise<Emission> {
    if (!activeTracer()) return this.send(scope, event, tags);
    const attributes = {
      'dispatch.org': scope.org,
      'cloudevents.event_id': event.eventID,
      'cloudevents.event_type': event.eventType,
    };
    return inSpan(`emit ${event.eventType}`, { kind: SpanKind.PRODUCER, attributes }, () => {
      const traced =
        typeof event.extensions?.['traceparent'] === 'string'
          ? event
          : { ...event, extensions: { ...event.extensions, ...traceHeaders() } };
      return this.send(scope, traced, tags);
    });
  }

  private async send(scope: RequestScope, event: CloudEvent, tags: Tag[]): Promise<Emission> {
    const emission: Emission = {
      ...event,
      id: uuidv4(),
      'emitted-time': Math.floor(Date.now() / 1000),
      tags,
    };
    const envelope: EventEnvelope = { project: scope.project, emission: emission.id, event };
    // Keyed by the event's id: a repeat of one event lands behind it, where its subscriptions see it
    // as the same event.
    await this.bus.publish(topicOf(scope.org, event.eventType), [{ key: event.eventID, value: envelope }]);
    return emission;
  }
}

function tagsOf(tags: unknown): Tag[] {
  if (!Array.isArray(tags)) return [];
  return tags.filter(
    (t): t is Tag =>
      typeof t === 'object' && t !== null && typeof t.key === 'string' && typeof t.value === 'string',
  );
}
