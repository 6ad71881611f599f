import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  FUNCTION_KIND,
  IMAGE_KIND,
  toApiModel,
  type Caller,
  type DispatchFunction,
  type Entity,
  type FunctionRequest,
  type FunctionSpec,
  type ImageSpec,
} from '@dispatch/contracts';
import { AccessControl } from '@dispatch/auth';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { KindCrud, KindRepository, type RequestScope, type UpdateRequest } from '@dispatch/platform';
import { SchemaValidator } from '../schema-validator.js';

/**
 * What the API shows of a function: everything but the source archive (large) and where it was
 * prepared on the host (a path is a map for whoever attacks next). The handler is the one given, else
 * the one inferred once the function was prepared, else empty: v0.1's clients require the field.
 */
export function functionModel(entity: Entity<FunctionSpec>): DispatchFunction {
  const { source: _source, backingObject: prepared, ...spec } = entity.spec;
  return toApiModel({ ...entity, spec: { ...spec, handler: spec.handler ?? prepared?.handler ?? '' } });
}

/**
 * Functions: code on an image, prepared by the reconciler; create, read, update, delete. A function's
 * secrets reach whoever runs it, so whoever writes a function that has secrets (its code, or the list)
 * must be allowed to use them.
 */
@Injectable()
export class FunctionService extends KindCrud<FunctionSpec, DispatchFunction, FunctionRequest> {
  private readonly images: KindRepository<ImageSpec>;

  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    private readonly schemas: SchemaValidator,
    @Optional() private readonly access?: AccessControl,
  ) {
    // Deleting marks the function; the reconciler removes it once its runners are gone.
    super(new KindRepository(store, FUNCTION_KIND, 'function', 'reconciled'));
    this.images = new KindRepository(store, IMAGE_KIND, 'image');
  }

  /** The function's code as it was given: the base64 gzipped tar (the console unpacks it to show it). */
  async source(scope: RequestScope, name: string): Promise<string> {
    return (await this.entities.get(scope, name)).spec.source ?? '';
  }

  async create(scope: RequestScope, input: FunctionRequest, caller?: Caller): Promise<DispatchFunction> {
    const spec = this.specOf(input);
    this.access?.authorizeSecrets(caller, scope.org, spec.secrets ?? []);
    await this.images.requireExisting(scope, input.image);
    return this.model(await this.entities.create(scope, input, spec));
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<FunctionRequest>,
    caller?: Caller,
  ): Promise<DispatchFunction> {
    const spec = this.specOf(input);
    const current = await this.entities.forUpdate(scope, name, input);
    await this.images.requireExisting(scope, input.image);
    // New code under old secrets reads them as surely as naming them does.
    this.access?.authorizeSecrets(caller, scope.org, [
      ...(spec.secrets ?? []),
      ...(current.spec.secrets ?? []),
    ]);
    const updated = await this.entities.update(current, {
      tags: input.tags,
      // The running version keeps serving until the new one is READY.
      spec: {
        ...spec,
        backingObject: current.spec.backingObject,
        functionImageURL: current.spec.functionImageURL,
      },
      status: 'UPDATING',
      reason: [],
    });
    return this.model(updated);
  }

  protected model(entity: Entity<FunctionSpec>): DispatchFunction {
    return functionModel(entity);
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
