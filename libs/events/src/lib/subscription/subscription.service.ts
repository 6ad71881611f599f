import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  SUBSCRIPTION_KIND,
  toApiModel,
  type Caller,
  type Subscription,
  type subscriptionRequest,
  type SubscriptionSpec,
} from '@dispatch/contracts';
import { AccessControl } from '@dispatch/auth';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import {
  KindRepository,
  type KindService,
  type ListFilter,
  type RequestScope,
  type UpdateRequest,
} from '@dispatch/platform';
import type { z } from 'zod';

type SubscriptionRequest = z.output<typeof subscriptionRequest>;

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
export class SubscriptionService implements KindService<Subscription, SubscriptionRequest> {
  private readonly subscriptions: KindRepository<SubscriptionSpec>;

  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    @Optional() private readonly access?: AccessControl,
  ) {
    this.subscriptions = new KindRepository(store, SUBSCRIPTION_KIND, 'subscription');
  }

  async create(scope: RequestScope, input: SubscriptionRequest, caller?: Caller): Promise<Subscription> {
    const spec = specOf(input);
    this.access?.authorizeSecrets(caller, scope.org, spec.secrets);
    const { name, tags } = input;
    return toApiModel(await this.subscriptions.create(scope, { name, tags, status: 'CREATING', spec }));
  }

  async get(scope: RequestScope, name: string): Promise<Subscription> {
    return toApiModel(await this.subscriptions.get(scope, name));
  }

  async list(scope: RequestScope, filter: ListFilter): Promise<Subscription[]> {
    const all = await this.subscriptions.list(scope, filter.tags);
    return all
      .filter((s) => filter.function === undefined || s.spec.function === filter.function)
      .map((s) => toApiModel(s));
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<SubscriptionRequest>,
    caller?: Caller,
  ): Promise<Subscription> {
    const spec = specOf(input);
    const current = await this.subscriptions.forUpdate(scope, name, input);
    // Pointing a subscription's secrets at another function hands them over as surely as naming them.
    this.access?.authorizeSecrets(caller, scope.org, [...spec.secrets, ...current.spec.secrets]);
    const changed = JSON.stringify(current.spec) !== JSON.stringify(spec);
    // READY again once the consumer follows the new spec.
    const status = changed ? 'UPDATING' : current.status;
    return toApiModel(await this.subscriptions.update(current, { tags: input.tags, spec, status }));
  }

  async delete(scope: RequestScope, name: string): Promise<Subscription> {
    // Unguarded: the manager writes the status (READY, ERROR) at any moment, and a user's delete must
    // not fail with a conflict because of it.
    return toApiModel(await this.subscriptions.delete(scope, name, { guarded: false }));
  }
}
