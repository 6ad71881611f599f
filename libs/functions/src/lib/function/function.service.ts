import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  FUNCTION_KIND,
  IMAGE_KIND,
  NAME_PATTERN,
  nameField,
  secretNameField,
  tagsField,
  toApiModel,
  type Caller,
  type DispatchFunction,
  type Entity,
  type FunctionSpec,
  type Tag,
} from '@dispatch/contracts';
import { AccessControl } from '@dispatch/auth';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { parseBody, requireExisting, requireSameName, type RequestScope } from '@dispatch/platform';
import { z } from 'zod';
import { SchemaValidator } from '../schema-validator.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const functionBody = z.object({
  name: nameField,
  image: z.string({ error: 'image is required' }).regex(NAME_PATTERN, 'image must name an image'),
  handler: z.string().optional(),
  source: z
    .string({ error: 'source is required (the code as a base64 gzipped tar)' })
    .min(1, 'source is required (the code as a base64 gzipped tar)')
    .regex(BASE64, 'source must be base64'),
  schema: z
    .object({
      in: z.record(z.string(), z.unknown()).optional(),
      out: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  secrets: z.array(secretNameField).optional(),
  timeout: z
    .number()
    .int('timeout is whole milliseconds')
    .positive('timeout must be positive')
    .max(15 * 60_000)
    .optional(),
  tags: tagsField,
});

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
export class FunctionService {
  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    private readonly schemas: SchemaValidator,
    @Optional() private readonly access?: AccessControl,
  ) {}

  async create(scope: RequestScope, body: unknown, caller?: Caller): Promise<DispatchFunction> {
    const input = this.parse(body);
    this.access?.authorizeSecrets(caller, scope.org, input.secrets ?? []);
    await requireExisting(this.store, scope, { kind: IMAGE_KIND, name: input.image, what: 'image' });
    const entity = await this.store.create<FunctionSpec>({
      ...scope,
      kind: FUNCTION_KIND,
      name: input.name,
      tags: input.tags,
      spec: this.spec(input),
    });
    return functionModel(entity);
  }

  async get(scope: RequestScope, name: string): Promise<DispatchFunction> {
    return functionModel(await this.store.get<FunctionSpec>({ ...scope, kind: FUNCTION_KIND, name }));
  }

  async list(scope: RequestScope, tags: Tag[]): Promise<DispatchFunction[]> {
    return (await this.store.list<FunctionSpec>({ ...scope, kind: FUNCTION_KIND, tags })).map(functionModel);
  }

  async update(scope: RequestScope, name: string, body: unknown, caller?: Caller): Promise<DispatchFunction> {
    const input = this.parse({ name, ...(body as object) });
    requireSameName('function', input.name, name);
    await requireExisting(this.store, scope, { kind: IMAGE_KIND, name: input.image, what: 'image' });
    const current = await this.store.get<FunctionSpec>({ ...scope, kind: FUNCTION_KIND, name });
    // New code under old secrets reads them as surely as naming them does.
    this.access?.authorizeSecrets(caller, scope.org, [
      ...(input.secrets ?? []),
      ...(current.spec.secrets ?? []),
    ]);
    const updated = await this.store.update<FunctionSpec>({
      ...current,
      tags: input.tags ?? current.tags,
      // The running version keeps serving until the new one is READY.
      spec: { ...this.spec(input), backingObject: current.spec.backingObject },
      status: 'UPDATING',
      reason: [],
    });
    return functionModel(updated);
  }

  async delete(scope: RequestScope, name: string): Promise<DispatchFunction> {
    const current = await this.store.get<FunctionSpec>({ ...scope, kind: FUNCTION_KIND, name });
    return functionModel(await this.store.update({ ...current, status: 'DELETING' }));
  }

  private parse(body: unknown) {
    const input = parseBody(functionBody, body, 'function');
    if (input.schema?.in) this.schemas.check(input.schema.in, 'schema.in');
    if (input.schema?.out) this.schemas.check(input.schema.out, 'schema.out');
    return input;
  }

  private spec(input: z.infer<typeof functionBody>): FunctionSpec {
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
