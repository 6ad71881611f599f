import { Logger } from '@nestjs/common';
import { ownerOfKind, type Entity } from '@dispatch/contracts';
import type {
  DeleteOptions,
  EntityRef,
  EntityStore,
  EntityUpdate,
  NewEntity,
  WriteOptions,
} from '@dispatch/entity-store';
import type { BusMessage, MessageBus } from '@dispatch/messaging';
import { lastingSubscription, type LastingSubscription } from './lasting-subscription.js';
import { DelegatingEntityStore } from './store-decorator.js';

export type DomainVerb = 'created' | 'updated' | 'deleted';

/**
 * What changed, never the entity's spec: a secret's values or a function's code do not belong on a
 * bus every service reads. A subscriber that needs more reads the entity from its owner.
 */
export interface DomainEvent {
  /** `<service>.<kind>.<verb>`, e.g. `images.image.updated`; also the Kafka topic. */
  type: string;
  org: string;
  project: string;
  kind: string;
  name: string;
  /** The entity's revision after the change (absent for a deletion). */
  revision?: number;
  status?: string;
  reason?: string[];
  /** When it happened, in milliseconds since the epoch. */
  time: number;
}

/**
 * The type (and topic) of a change to a kind, e.g. `domainEventType('image', 'updated')`, named after the
 * kind's owner in the topology table. Kinds no service announces (runs, dead letters, locks, bootstrap
 * records) publish nothing: they are records or machinery, and runs would put the bus on every
 * execution's path.
 */
export function domainEventType(kind: string, verb: DomainVerb): string {
  const owner = ownerOfKind(kind);
  if (!owner) throw new Error(`no service owns kind ${kind}: it has no domain events`);
  return `${owner}.${kind}.${verb}`;
}

const PUBLISH_ATTEMPTS = 5;
const PUBLISH_BACKOFF_MS = 200;
/**
 * How long a write waits for its event to be out. Normally it is, in a millisecond or two; while the
 * broker is away the retries go on behind the answer rather than holding every write for half a minute.
 */
const PUBLISH_WAIT_MS = 2_000;

/**
 * The entity store, publishing a domain event after each write of an owned kind, keyed `<org>/<name>`
 * so one entity's events stay in order. The write is the truth and is already done when the event goes
 * out: a publish that keeps failing is logged rather than undoing it, and subscribers that must not miss
 * a change also follow the store (reconcilers list and watch it), using events to react sooner.
 */
export class PublishingEntityStore extends DelegatingEntityStore {
  private readonly logger = new Logger('domain-events');
  /**
   * Each entity's publish still under way (retrying while the broker is away): the next event of that
   * entity goes out after it, so one entity's events stay in the order its writes happened even when a
   * write returns before its event is out.
   */
  private readonly publishing = new Map<string, Promise<void>>();

  constructor(
    store: EntityStore,
    private readonly bus: MessageBus,
  ) {
    super(store);
  }

  override async create<S = Record<string, unknown>>(
    entity: NewEntity<S>,
    options?: WriteOptions,
  ): Promise<Entity<S>> {
    const created = await this.store.create(entity, options);
    await this.publish(created, 'created');
    return created;
  }

  override async update<S = Record<string, unknown>>(
    entity: EntityUpdate<S>,
    options?: WriteOptions,
  ): Promise<Entity<S>> {
    const updated = await this.store.update(entity, options);
    await this.publish(updated, 'updated');
    return updated;
  }

  override async delete(ref: EntityRef, options?: DeleteOptions): Promise<void> {
    await this.store.delete(ref, options);
    await this.publish(ref, 'deleted');
  }

  private async publish(entity: EntityRef & Partial<Entity<unknown>>, verb: DomainVerb): Promise<void> {
    if (!ownerOfKind(entity.kind)) return;
    const key = `${entity.kind}/${entity.org}/${entity.project}/${entity.name}`;
    const event = this.eventOf(entity, verb);
    const earlier = this.publishing.get(key);
    const published = earlier
      ? earlier.then(() => this.publishWithRetries(event))
      : this.publishWithRetries(event);
    this.publishing.set(key, published);
    void published.finally(() => {
      if (this.publishing.get(key) === published) this.publishing.delete(key);
    });
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, PUBLISH_WAIT_MS)));
    await Promise.race([published, waited]);
    clearTimeout(timer);
  }

  private eventOf(entity: EntityRef & Partial<Entity<unknown>>, verb: DomainVerb): DomainEvent {
    return {
      type: domainEventType(entity.kind, verb),
      org: entity.org,
      project: entity.project,
      kind: entity.kind,
      name: entity.name,
      revision: verb === 'deleted' ? undefined : entity.revision,
      status: verb === 'deleted' ? undefined : entity.status,
      reason: verb === 'deleted' ? undefined : entity.reason,
      time: Date.now(),
    };
  }

  /** Never rejects: a publish that keeps failing is logged. */
  private async publishWithRetries(event: DomainEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.bus.publish(event.type, [{ key: `${event.org}/${event.name}`, value: event }]);
        return;
      } catch (err) {
        if (attempt >= PUBLISH_ATTEMPTS) {
          this.logger.error(
            `${event.type} ${event.org}/${event.name} not published: ${(err as Error).message}`,
          );
          return;
        }
        await new Promise((r) => setTimeout(r, PUBLISH_BACKOFF_MS * attempt));
      }
    }
  }
}

/**
 * Reacts to other services' domain events, from as soon as the bus answers: a service starting before
 * its broker does not fail (see lastingSubscription). `group` decides who shares them: one name for the whole
 * service when any replica may react (it does the work for all), or a name of this process's own when
 * every replica must hear every event (its own cache to clear).
 */
export function onDomainEvents(
  bus: MessageBus,
  types: string[],
  group: string,
  handler: (event: DomainEvent, message: BusMessage<DomainEvent>) => Promise<void>,
): LastingSubscription {
  const options = {
    topics: types,
    group,
    handler: (message: BusMessage<DomainEvent>) => handler(message.value, message),
  };
  return lastingSubscription<DomainEvent>(bus, options, new Logger(group));
}
