import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  DomainError,
  EVENT_DRIVER_KIND,
  toApiModel,
  type Caller,
  type Entity,
  type EventDriver,
  type EventDriverRequest,
  type EventDriverSpec,
} from '@dispatch/contracts';
import { AccessControl } from '@dispatch/auth';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { KindCrud, KindRepository, type RequestScope, type UpdateRequest } from '@dispatch/platform';
import { DriverTypeService } from './driver-type.service.js';

/** Where a webhook driver takes POSTs, under the API: the org and project are in the path. */
export function webhookPath(org: string, project: string, name: string): string {
  return `/v1/event/hooks/${org}/${project}/${name}`;
}

/**
 * Event drivers: stored CREATING; the DriverManager runs them and makes them READY, or ERROR with why.
 * A driver is given its secrets' values, so whoever writes one that has secrets must be allowed to use
 * them.
 */
@Injectable()
export class DriverService extends KindCrud<EventDriverSpec, EventDriver, EventDriverRequest> {
  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    private readonly types: DriverTypeService,
    @Optional() private readonly access?: AccessControl,
  ) {
    // The manager writes the status at any moment: deleting is unguarded.
    super(new KindRepository(store, EVENT_DRIVER_KIND, 'event driver', 'unguarded'));
  }

  async create(scope: RequestScope, input: EventDriverRequest, caller?: Caller): Promise<EventDriver> {
    const spec = await this.specOf(scope, input.name, input);
    this.access?.authorizeSecrets(caller, scope.org, spec.secrets);
    return this.model(await this.entities.create(scope, input, spec, 'CREATING'));
  }

  /** The stored driver, or undefined: what a webhook delivery is checked against. */
  find(scope: RequestScope, name: string): Promise<Entity<EventDriverSpec> | undefined> {
    return this.entities.find(scope, name);
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<EventDriverRequest>,
    caller?: Caller,
  ): Promise<EventDriver> {
    const current = await this.entities.forUpdate(scope, name, input);
    const spec = await this.specOf(scope, name, input);
    this.access?.authorizeSecrets(caller, scope.org, [...spec.secrets, ...current.spec.secrets]);
    return this.model(await this.entities.update(current, { tags: input.tags, spec, status: 'UPDATING' }));
  }

  /**
   * What the API shows of a driver: a webhook's `secret` setting (kept by drivers made before secrets
   * were required for it) is never shown, since every reader of the driver would learn to sign for it.
   */
  protected model(entity: Entity<EventDriverSpec>): EventDriver {
    const config = entity.spec.config.map((c) =>
      entity.spec.type === 'webhook' && c.key === 'secret' ? { ...c, value: '[redacted]' } : c,
    );
    return toApiModel({ ...entity, spec: { ...entity.spec, config } });
  }

  /** What a driver stores of its request: its type's exposure, and a webhook's address. */
  private async specOf(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<EventDriverRequest>,
  ): Promise<EventDriverSpec> {
    if (input.type === 'webhook' && input.config?.some((c) => c.key === 'secret'))
      throw new DomainError(
        'INVALID_ARGUMENT',
        'a webhook secret belongs in a secret, not in a setting every reader of the driver sees: ' +
          'dispatch create secret NAME FILE (a JSON file holding {"secret": "..."}), then --secret NAME',
      );
    const type = await this.types.resolve(scope, input.type);
    return {
      type: input.type,
      config: input.config ?? [],
      secrets: input.secrets ?? [],
      expose: input.type === 'webhook' || (type?.expose ?? false),
      url: input.type === 'webhook' ? webhookPath(scope.org, scope.project, name) : undefined,
    };
  }
}
