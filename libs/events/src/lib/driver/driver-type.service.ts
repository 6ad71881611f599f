import { Inject, Injectable } from '@nestjs/common';
import {
  BUILTIN_DRIVER_TYPES,
  DomainError,
  EVENT_DRIVER_TYPE_KIND,
  toApiModel,
  type EventDriverType,
  type eventDriverTypeRequest,
  type EventDriverTypeSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import {
  KindRepository,
  type KindService,
  type ListFilter,
  type RequestScope,
  type UpdateRequest,
} from '@dispatch/platform';
import type { z } from 'zod';
import { allowedProgram } from './kinds/driver-programs.js';
import { driverProgramsDir, EVENTS_CONFIG, type EventsConfig } from '../events.config.js';

type EventDriverTypeRequest = z.output<typeof eventDriverTypeRequest>;

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
export class DriverTypeService implements KindService<EventDriverType, EventDriverTypeRequest> {
  private readonly types: KindRepository<EventDriverTypeSpec>;

  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    @Inject(EVENTS_CONFIG) private readonly config: EventsConfig,
  ) {
    this.types = new KindRepository(store, EVENT_DRIVER_TYPE_KIND, 'event driver type');
  }

  async create(scope: RequestScope, input: EventDriverTypeRequest): Promise<EventDriverType> {
    if (isBuiltin(input.name))
      throw new DomainError('ALREADY_EXISTS', `${input.name} is a built-in driver type`);
    const { name, tags } = input;
    const spec = this.specOf(input);
    return toApiModel(await this.types.create(scope, { name, tags, status: 'READY', spec }));
  }

  async get(scope: RequestScope, name: string): Promise<EventDriverType> {
    if (isBuiltin(name)) return builtin(name, scope);
    return toApiModel(await this.types.get(scope, name));
  }

  async list(scope: RequestScope, { tags }: ListFilter): Promise<EventDriverType[]> {
    const stored = await this.types.list(scope, tags);
    const builtins = BUILTIN_DRIVER_TYPES.map((name) => builtin(name, scope)).filter((t) =>
      tags.every((tag) => t.tags.some((own) => own.key === tag.key && own.value === tag.value)),
    );
    return [...builtins, ...stored.map((t) => toApiModel(t))];
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<EventDriverTypeRequest>,
  ): Promise<EventDriverType> {
    if (isBuiltin(name)) throw new DomainError('INVALID_ARGUMENT', `${name} is a built-in driver type`);
    const current = await this.types.forUpdate(scope, name, input);
    return toApiModel(await this.types.update(current, { tags: input.tags, spec: this.specOf(input) }));
  }

  async delete(scope: RequestScope, name: string): Promise<EventDriverType> {
    if (isBuiltin(name)) throw new DomainError('INVALID_ARGUMENT', `${name} is a built-in driver type`);
    return toApiModel(await this.types.delete(scope, name));
  }

  /** A driver's type: built in (undefined spec), stored, or INVALID_ARGUMENT naming what exists. */
  async resolve(scope: RequestScope, name: string): Promise<EventDriverTypeSpec | undefined> {
    if (isBuiltin(name)) return undefined;
    const type = await this.types.find(scope, name);
    if (type === undefined)
      throw new DomainError(
        'INVALID_ARGUMENT',
        `there is no driver type ${name}: use timer or webhook, or add one with dispatch create eventdrivertype`,
      );
    return type.spec;
  }

  /** What a type stores: a program the operator installed (refused now, saying where programs come from). */
  private specOf(input: UpdateRequest<EventDriverTypeRequest>): EventDriverTypeSpec {
    allowedProgram(input.image, driverProgramsDir(this.config));
    return { image: input.image, config: input.config ?? [], expose: input.expose ?? false };
  }
}
