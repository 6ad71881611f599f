import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  EVENT_TYPE_PATTERN,
  NAME_PATTERN,
  nameField,
  secretNameField,
  SUBSCRIPTION_KIND,
  tagsField,
  toApiModel,
  type Caller,
  type Entity,
  type Subscription,
  type SubscriptionSpec,
  type Tag,
} from '@dispatch/contracts';
import { AccessControl } from '@dispatch/auth';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { parseBody, requireSameName, type RequestScope } from '@dispatch/platform';
import { z } from 'zod';

const subscriptionBody = z.object({
  name: nameField,
  eventType: z
    .string({ error: 'eventType is required (--event-type)' })
    .regex(EVENT_TYPE_PATTERN, 'eventType may hold letters, digits, _, - and .'),
  function: z
    .string({ error: 'function is required (the function the events go to)' })
    .regex(NAME_PATTERN, 'function must name a function'),
  secrets: z
    .array(secretNameField, {
      error: 'secrets must be a list of secret names',
    })
    .optional(),
  tags: tagsField,
});

/**
 * Subscriptions: events of one type, delivered to one function. Stored CREATING; the
 * SubscriptionManager makes them READY once their consumer is live. Its secrets go to every run it
 * starts, so whoever writes a subscription that has secrets must be allowed to use them.
 */
@Injectable()
export class SubscriptionService {
  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Optional() private readonly access?: AccessControl,
  ) {}

  async create(scope: RequestScope, body: unknown, caller?: Caller): Promise<Subscription> {
    const input = this.parse(body);
    this.access?.authorizeSecrets(caller, scope.org, input.spec.secrets);
    const entity = await this.store.create<SubscriptionSpec>({
      ...scope,
      kind: SUBSCRIPTION_KIND,
      name: input.name,
      tags: input.tags,
      status: 'CREATING',
      spec: input.spec,
    });
    return toApiModel(entity);
  }

  async get(scope: RequestScope, name: string): Promise<Subscription> {
    return toApiModel(await this.read(scope, name));
  }

  async list(scope: RequestScope, tags: Tag[], fn?: string): Promise<Subscription[]> {
    const all = await this.store.list<SubscriptionSpec>({ ...scope, kind: SUBSCRIPTION_KIND, tags });
    return all.filter((s) => fn === undefined || s.spec.function === fn).map((s) => toApiModel(s));
  }

  async update(scope: RequestScope, name: string, body: unknown, caller?: Caller): Promise<Subscription> {
    const input = this.parse({ name, ...(body as object) });
    requireSameName('subscription', input.name, name);
    const current = await this.read(scope, name);
    // Pointing a subscription's secrets at another function hands them over as surely as naming them.
    this.access?.authorizeSecrets(caller, scope.org, [...input.spec.secrets, ...current.spec.secrets]);
    const changed = JSON.stringify(current.spec) !== JSON.stringify(input.spec);
    const updated = await this.store.update<SubscriptionSpec>({
      ...current,
      tags: input.tags ?? current.tags,
      spec: input.spec,
      // READY again once the consumer follows the new spec.
      status: changed ? 'UPDATING' : current.status,
    });
    return toApiModel(updated);
  }

  async delete(scope: RequestScope, name: string): Promise<Subscription> {
    const current = await this.read(scope, name);
    // No revision guard: the manager writes the status (READY, ERROR) at any moment, and a user's
    // delete must not fail with a conflict because of it.
    await this.store.delete(current);
    return toApiModel(current);
  }

  private read(scope: RequestScope, name: string): Promise<Entity<SubscriptionSpec>> {
    return this.store.get<SubscriptionSpec>({ ...scope, kind: SUBSCRIPTION_KIND, name });
  }

  private parse(body: unknown): { name: string; tags?: Tag[]; spec: SubscriptionSpec } {
    const input = parseBody(subscriptionBody, body, 'subscription');
    return {
      name: input.name,
      tags: input.tags,
      spec: { eventType: input.eventType, function: input.function, secrets: input.secrets ?? [] },
    };
  }
}
