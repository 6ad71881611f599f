import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  FUNCTION_KIND,
  IMAGE_KIND,
  toApiModel,
  type Caller,
  type DispatchFunction,
  type Entity,
  type FunctionSpec,
  type functionRequest,
  type ImageSpec,
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
import { SchemaValidator } from '../schema-validator.js';

type FunctionRequest = z.output<typeof functionRequest>;

/**
 * What the API shows of a function: everything but the source archive (large) and where it was
 * prepared on the host (a path is a map for whoever attacks next).
 */
export function functionModel(entity: Entity<FunctionSpec>): DispatchFunction {
  const { source: _source, backingObject: _where, ...spec } = entity.spec;
  return toApiModel({ ...entity, spec });
}

/**
 * Functions: code on an image, prepared by the reconciler; create, read, update, delete. A function's
 * secrets reach whoever runs it, so whoever writes a function that has secrets (its code, or the list)
 * must be allowed to use them.
 */
@Injectable()
export class FunctionService implements KindService<DispatchFunction, FunctionRequest> {
  private readonly functions: KindRepository<FunctionSpec>;
  private readonly images: KindRepository<ImageSpec>;

  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    private readonly schemas: SchemaValidator,
    @Optional() private readonly access?: AccessControl,
  ) {
    this.functions = new KindRepository(store, FUNCTION_KIND, 'function');
    this.images = new KindRepository(store, IMAGE_KIND, 'image');
  }

  async create(scope: RequestScope, input: FunctionRequest, caller?: Caller): Promise<DispatchFunction> {
    const spec = this.specOf(input);
    this.access?.authorizeSecrets(caller, scope.org, spec.secrets ?? []);
    await this.images.requireExisting(scope, input.image);
    return functionModel(await this.functions.create(scope, { name: input.name, tags: input.tags, spec }));
  }

  async get(scope: RequestScope, name: string): Promise<DispatchFunction> {
    return functionModel(await this.functions.get(scope, name));
  }

  async list(scope: RequestScope, { tags }: ListFilter): Promise<DispatchFunction[]> {
    return (await this.functions.list(scope, tags)).map(functionModel);
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<FunctionRequest>,
    caller?: Caller,
  ): Promise<DispatchFunction> {
    const spec = this.specOf(input);
    const current = await this.functions.forUpdate(scope, name, input);
    await this.images.requireExisting(scope, input.image);
    // New code under old secrets reads them as surely as naming them does.
    this.access?.authorizeSecrets(caller, scope.org, [
      ...(spec.secrets ?? []),
      ...(current.spec.secrets ?? []),
    ]);
    const updated = await this.functions.update(current, {
      tags: input.tags,
      // The running version keeps serving until the new one is READY.
      spec: { ...spec, backingObject: current.spec.backingObject },
      status: 'UPDATING',
      reason: [],
    });
    return functionModel(updated);
  }

  async delete(scope: RequestScope, name: string): Promise<DispatchFunction> {
    return functionModel(await this.functions.markDeleting(scope, name));
  }

  /** The stored spec of a request, its schemas checked as JSON Schemas first. */
  private specOf(input: UpdateRequest<FunctionRequest>): FunctionSpec {
    if (input.schema?.in) this.schemas.check(input.schema.in, 'schema.in');
    if (input.schema?.out) this.schemas.check(input.schema.out, 'schema.out');
    return {
      image: input.image,
      handler: input.handler || undefined,
      source: input.source,
      schema: input.schema,
      secrets: input.secrets ?? [],
      timeout: input.timeout,
    };
  }
}
