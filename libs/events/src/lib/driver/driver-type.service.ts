import { Inject, Injectable } from '@nestjs/common';
import {
  BUILTIN_DRIVER_TYPES,
  DomainError,
  EVENT_DRIVER_TYPE_KIND,
  nameField,
  tagsField,
  toApiModel,
  type Entity,
  type EventDriverType,
  type EventDriverTypeSpec,
  type Tag,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { parseBody, requireSameName, type RequestScope } from '@dispatch/platform';
import { z } from 'zod';
import { driverConfigSchema } from './driver-config.js';
import { allowedProgram } from './kinds/driver-programs.js';
import { driverProgramsDir, EVENTS_CONFIG, type EventsConfig } from '../events.config.js';

const driverTypeBody = z.object({
  name: nameField,
  image: z
    .string({ error: 'image is required (an executable on this machine, an image in Kubernetes)' })
    .min(1, 'image must not be empty'),
  config: driverConfigSchema,
  expose: z.boolean({ error: 'expose must be true or false' }).optional(),
  tags: tagsField,
});

/** The built-in types as the API lists them beside the stored ones. */
function builtin(name: string, scope: RequestScope): EventDriverType {
  return {
    id: `builtin-${name}`,
    name,
    kind: EVENT_DRIVER_TYPE_KIND,
    org: scope.org,
    project: scope.project,
    image: `builtin:${name}`,
    config: [],
    expose: name === 'webhook',
    tags: [{ key: 'builtin', value: 'true' }],
    revision: '0',
    createdTime: 0,
    modifiedTime: 0,
    status: 'READY',
    reason: [],
  };
}

const isBuiltin = (name: string) => (BUILTIN_DRIVER_TYPES as readonly string[]).includes(name);

/** Event driver types: the built-in timer and webhook, and programs users add (`image`). */
@Injectable()
export class DriverTypeService {
  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Inject(EVENTS_CONFIG) private readonly config: EventsConfig,
  ) {}

  async create(scope: RequestScope, body: unknown): Promise<EventDriverType> {
    const input = this.parse(body);
    if (isBuiltin(input.name))
      throw new DomainError('ALREADY_EXISTS', `${input.name} is a built-in driver type`);
    return toApiModel(
      await this.store.create<EventDriverTypeSpec>({
        ...scope,
        kind: EVENT_DRIVER_TYPE_KIND,
        name: input.name,
        tags: input.tags,
        status: 'READY',
        spec: input.spec,
      }),
    );
  }

  async get(scope: RequestScope, name: string): Promise<EventDriverType> {
    if (isBuiltin(name)) return builtin(name, scope);
    return toApiModel(await this.read(scope, name));
  }

  async list(scope: RequestScope, tags: Tag[]): Promise<EventDriverType[]> {
    const stored = await this.store.list<EventDriverTypeSpec>({
      ...scope,
      kind: EVENT_DRIVER_TYPE_KIND,
      tags,
    });
    const builtins = BUILTIN_DRIVER_TYPES.map((name) => builtin(name, scope)).filter((t) =>
      tags.every((tag) => t.tags.some((own) => own.key === tag.key && own.value === tag.value)),
    );
    return [...builtins, ...stored.map((t) => toApiModel(t))];
  }

  async update(scope: RequestScope, name: string, body: unknown): Promise<EventDriverType> {
    if (isBuiltin(name)) throw new DomainError('INVALID_ARGUMENT', `${name} is a built-in driver type`);
    const input = this.parse({ name, ...(body as object) });
    requireSameName('driver type', input.name, name);
    const current = await this.read(scope, name);
    return toApiModel(
      await this.store.update<EventDriverTypeSpec>({
        ...current,
        tags: input.tags ?? current.tags,
        spec: input.spec,
      }),
    );
  }

  async delete(scope: RequestScope, name: string): Promise<EventDriverType> {
    if (isBuiltin(name)) throw new DomainError('INVALID_ARGUMENT', `${name} is a built-in driver type`);
    const current = await this.read(scope, name);
    await this.store.delete(current, { revision: current.revision });
    return toApiModel(current);
  }

  /** A driver's type: built in (undefined spec), stored, or NOT_FOUND naming what exists. */
  async resolve(scope: RequestScope, name: string): Promise<EventDriverTypeSpec | undefined> {
    if (isBuiltin(name)) return undefined;
    try {
      return (await this.read(scope, name)).spec;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'NOT_FOUND')
        throw new DomainError(
          'INVALID_ARGUMENT',
          `there is no driver type ${name}: use timer or webhook, or add one with dispatch create eventdrivertype`,
        );
      throw err;
    }
  }

  private read(scope: RequestScope, name: string): Promise<Entity<EventDriverTypeSpec>> {
    return this.store.get<EventDriverTypeSpec>({ ...scope, kind: EVENT_DRIVER_TYPE_KIND, name });
  }

  private parse(body: unknown): { name: string; tags?: Tag[]; spec: EventDriverTypeSpec } {
    const input = parseBody(driverTypeBody, body, 'event driver type');
    // Only a program the operator installed: refused now, with where programs come from.
    allowedProgram(input.image, driverProgramsDir(this.config));
    return {
      name: input.name,
      tags: input.tags,
      spec: { image: input.image, config: input.config ?? [], expose: input.expose ?? false },
    };
  }
}
