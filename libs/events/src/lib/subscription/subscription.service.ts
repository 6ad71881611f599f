import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  SUBSCRIPTION_KIND,
  toApiModel,
  type Caller,
  type Entity,
  type Subscription,
  type SubscriptionRequest,
  type SubscriptionSpec,
} from '@dispatch/contracts';
import { AccessControl } from '@dispatch/auth';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { KindCrud, KindRepository, type RequestScope, type UpdateRequest } from '@dispatch/platform';

const specOf = (input: UpdateRequest<SubscriptionRequest>): SubscriptionSpec => ({
  eventType: input.eventType,
  function: input.function,
  secrets: input.secrets ?? [],
});

/**
 * Subscriptions: events of one type, delivered to one function. Stored CREATING; the
 * SubscriptionManager makes them READY once their consumer is live. Its secrets go to every run it
 * starts, so whoever writes a subscription that has secrets must be allowed to use them.
 */
@Injectable()
export class SubscriptionService extends KindCrud<SubscriptionSpec, Subscription, SubscriptionRequest> {
  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    @Optional() private readonly access?: AccessControl,
  ) {
    // The manager writes the status at any moment: deleting is unguarded.
    super(new KindRepository(store, SUBSCRIPTION_KIND, 'subscription', 'unguarded'));
  }

  async create(scope: RequestScope, input: SubscriptionRequest, caller?: Caller): Promise<Subscription> {
    const spec = specOf(input);
    this.access?.authorizeSecrets(caller, scope.org, spec.secrets);
    return this.model(await this.entities.create(scope, input, spec, 'CREATING'));
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<SubscriptionRequest>,
    caller?: Caller,
  ): Promise<Subscription> {
    const spec = specOf(input);
    const current = await this.entities.forUpdate(scope, name, input);
    // Pointing a subscription's secrets at another function hands them over as surely as naming them.
    this.access?.authorizeSecrets(caller, scope.org, [...spec.secrets, ...current.spec.secrets]);
    const changed = JSON.stringify(current.spec) !== JSON.stringify(spec);
    // READY again once the consumer follows the new spec.
    const status = changed ? 'UPDATING' : current.status;
    return this.model(await this.entities.update(current, { tags: input.tags, spec, status }));
  }

  protected model(entity: Entity<SubscriptionSpec>): Subscription {
    return toApiModel(entity);
  }
}
