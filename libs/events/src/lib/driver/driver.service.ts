import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  DomainError,
  DRIVER_NAME_PATTERN,
  EVENT_DRIVER_KIND,
  secretNameField,
  tagsField,
  toApiModel,
  type Caller,
  type Entity,
  type EventDriver,
  type EventDriverSpec,
  type Tag,
} from '@dispatch/contracts';
import { AccessControl } from '@dispatch/auth';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { parseBody, requireSameName, type RequestScope } from '@dispatch/platform';
import { z } from 'zod';
import { driverConfigSchema } from './driver-config.js';
import { DriverTypeService } from './driver-type.service.js';

const driverBody = z.object({
  name: z
    .string({ error: 'name is required' })
    .regex(DRIVER_NAME_PATTERN, 'name may hold lower-case letters, digits and - (no upper case or _)'),
  type: z.string({ error: 'type is required (timer, webhook or a driver type you added)' }).min(1),
  config: driverConfigSchema,
  secrets: z
    .array(secretNameField, {
      error: 'secrets must be a list of secret names',
    })
    .optional(),
  tags: tagsField,
});

/**
 * What the API shows of a driver: a webhook's `secret` setting (kept by drivers made before secrets
 * were required for it) is never shown, since every reader of the driver would learn to sign for it.
 */
function driverModel(entity: Entity<EventDriverSpec>): EventDriver {
  const config = entity.spec.config.map((c) =>
    entity.spec.type === 'webhook' && c.key === 'secret' ? { ...c, value: '[redacted]' } : c,
  );
  return toApiModel({ ...entity, spec: { ...entity.spec, config } });
}

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
export class DriverService {
  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    private readonly types: DriverTypeService,
    @Optional() private readonly access?: AccessControl,
  ) {}

  async create(scope: RequestScope, body: unknown, caller?: Caller): Promise<EventDriver> {
    const input = await this.parse(scope, body);
    this.access?.authorizeSecrets(caller, scope.org, input.spec.secrets);
    return driverModel(
      await this.store.create<EventDriverSpec>({
        ...scope,
        kind: EVENT_DRIVER_KIND,
        name: input.name,
        tags: input.tags,
        status: 'CREATING',
        spec: input.spec,
      }),
    );
  }

  async get(scope: RequestScope, name: string): Promise<EventDriver> {
    return driverModel(await this.read(scope, name));
  }

  async list(scope: RequestScope, tags: Tag[]): Promise<EventDriver[]> {
    const all = await this.store.list<EventDriverSpec>({ ...scope, kind: EVENT_DRIVER_KIND, tags });
    return all.map(driverModel);
  }

  async update(scope: RequestScope, name: string, body: unknown, caller?: Caller): Promise<EventDriver> {
    const input = await this.parse(scope, { name, ...(body as object) });
    requireSameName('driver', input.name, name);
    const current = await this.read(scope, name);
    this.access?.authorizeSecrets(caller, scope.org, [...input.spec.secrets, ...current.spec.secrets]);
    return driverModel(
      await this.store.update<EventDriverSpec>({
        ...current,
        tags: input.tags ?? current.tags,
        spec: input.spec,
        status: 'UPDATING',
      }),
    );
  }

  async delete(scope: RequestScope, name: string): Promise<EventDriver> {
    const current = await this.read(scope, name);
    // No revision guard: the manager writes the status (READY, ERROR) at any moment, and a user's
    // delete must not fail with a conflict because of it.
    await this.store.delete(current);
    return driverModel(current);
  }

  read(scope: RequestScope, name: string): Promise<Entity<EventDriverSpec>> {
    return this.store.get<EventDriverSpec>({ ...scope, kind: EVENT_DRIVER_KIND, name });
  }

  private async parse(
    scope: RequestScope,
    body: unknown,
  ): Promise<{ name: string; tags?: Tag[]; spec: EventDriverSpec }> {
    const input = parseBody(driverBody, body, 'event driver');
    if (input.type === 'webhook' && input.config?.some((c) => c.key === 'secret'))
      throw new DomainError(
        'INVALID_ARGUMENT',
        'a webhook secret belongs in a secret, not in a setting every reader of the driver sees: ' +
          'dispatch create secret NAME FILE (a JSON file holding {"secret": "..."}), then --secret NAME',
      );
    const type = await this.types.resolve(scope, input.type);
    return {
      name: input.name,
      tags: input.tags,
      spec: {
        type: input.type,
        config: input.config ?? [],
        secrets: input.secrets ?? [],
        expose: input.type === 'webhook' || (type?.expose ?? false),
        url: input.type === 'webhook' ? webhookPath(scope.org, scope.project, input.name) : undefined,
      },
    };
  }
}
