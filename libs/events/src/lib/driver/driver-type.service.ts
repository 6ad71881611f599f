import { Inject, Injectable } from '@nestjs/common';
import {
  BUILTIN_DRIVER_TYPES,
  DomainError,
  EVENT_DRIVER_TYPE_KIND,
  toApiModel,
  type Entity,
  type EventDriverType,
  type EventDriverTypeRequest,
  type EventDriverTypeSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import {
  KindCrud,
  KindRepository,
  type ListFilter,
  type RequestScope,
  type UpdateRequest,
} from '@dispatch/platform';
import { allowedProgram } from './kinds/driver-programs.js';
import { driverProgramsDir, EVENTS_CONFIG, type EventsConfig } from '../events.config.js';

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
export class DriverTypeService extends KindCrud<
  EventDriverTypeSpec,
  EventDriverType,
  EventDriverTypeRequest
> {
  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    @Inject(EVENTS_CONFIG) private readonly config: EventsConfig,
  ) {
    super(new KindRepository(store, EVENT_DRIVER_TYPE_KIND, 'event driver type'));
  }

  async create(scope: RequestScope, input: EventDriverTypeRequest): Promise<EventDriverType> {
    if (isBuiltin(input.name))
      throw new DomainError('ALREADY_EXISTS', `${input.name} is a built-in driver type`);
    return this.model(await this.entities.create(scope, input, this.specOf(input), 'READY'));
  }

  override async get(scope: RequestScope, name: string): Promise<EventDriverType> {
    return isBuiltin(name) ? builtin(name, scope) : super.get(scope, name);
  }

  /** The built-in types first, kept to the tags asked for, then the stored ones. */
  override async list(scope: RequestScope, filter: ListFilter): Promise<EventDriverType[]> {
    const builtins = BUILTIN_DRIVER_TYPES.map((name) => builtin(name, scope)).filter((t) =>
      filter.tags.every((tag) => t.tags.some((own) => own.key === tag.key && own.value === tag.value)),
    );
    return [...builtins, ...(await super.list(scope, filter))];
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<EventDriverTypeRequest>,
  ): Promise<EventDriverType> {
    if (isBuiltin(name)) throw new DomainError('INVALID_ARGUMENT', `${name} is a built-in driver type`);
    const current = await this.entities.forUpdate(scope, name, input);
    return this.model(await this.entities.update(current, { tags: input.tags, spec: this.specOf(input) }));
  }

  override async delete(scope: RequestScope, name: string): Promise<EventDriverType | void> {
    if (isBuiltin(name)) throw new DomainError('INVALID_ARGUMENT', `${name} is a built-in driver type`);
    return super.delete(scope, name);
  }

  /** A driver's type: built in (undefined spec), stored, or INVALID_ARGUMENT naming what exists. */
  async resolve(scope: RequestScope, name: string): Promise<EventDriverTypeSpec | undefined> {
    if (isBuiltin(name)) return undefined;
    const type = await this.entities.find(scope, name);
    if (type === undefined)
      throw new DomainError(
        'INVALID_ARGUMENT',
        `there is no driver type ${name}: use timer or webhook, or add one with dispatch create eventdrivertype`,
      );
    return type.spec;
  }

  protected model(entity: Entity<EventDriverTypeSpec>): EventDriverType {
    return toApiModel(entity);
  }

  /** What a type stores: a program the operator installed (refused now, saying where programs come from). */
  private specOf(input: UpdateRequest<EventDriverTypeRequest>): EventDriverTypeSpec {
    allowedProgram(input.image, driverProgramsDir(this.config));
    return { image: input.image, config: input.config ?? [], expose: input.expose ?? false };
  }
}
