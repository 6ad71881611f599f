import {
  Body,
  Delete,
  Get,
  HttpCode,
  Inject,
  Optional,
  Param,
  Post,
  Put,
  Query,
  Res,
  type Type,
} from '@nestjs/common';
import { DomainError, v01NamesOf, type Caller, type Tag } from '@dispatch/contracts';
import type { z } from 'zod';
import { parseTagFilter } from '../http-input.js';
import { Scope, type RequestScope } from '../request-scope.js';
import { CallerOf } from './caller.js';
import { EntityWatches, type WatchEmit } from './entity-watches.js';
import { ValidBody } from './valid-body.js';

/** A list's filters: `?tags=k=v` (repeatable) and, for kinds that point at a function, `?function=`. */
export interface ListFilter {
  tags: Tag[];
  function?: string;
}

/** A PUT's body: the kind's request, whose name may be left out (the path names the entity). */
export type UpdateRequest<Request extends { name: string }> = Omit<Request, 'name'> & { name?: string };

/**
 * What a kind's service offers the five CRUD routes. `Request` is the parsed request (its schema's
 * output); `caller` is who the access guard let in, for services that decide more than the route does.
 */
export interface KindService<Model, Request extends { name: string }> {
  create(scope: RequestScope, body: Request, caller?: Caller): Promise<Model>;
  list(scope: RequestScope, filter: ListFilter): Promise<Model[]>;
  get(scope: RequestScope, name: string): Promise<Model>;
  update(scope: RequestScope, name: string, body: UpdateRequest<Request>, caller?: Caller): Promise<Model>;
  delete(scope: RequestScope, name: string, caller?: Caller): Promise<Model | void>;
  /** Each change from now on (a kind that offers `watch=true`). */
  watch?(scope: RequestScope, emit: WatchEmit): Promise<{ close(): Promise<void> }>;
}

interface HeaderReply {
  header(name: string, value: string): HeaderReply;
}

type NamedObject = z.ZodObject<{ name: z.ZodType<string> }>;

export interface CrudRoutesOptions<S extends NamedObject> {
  /** The kind's service (a provider of the module the controller is in). */
  service: Type<KindService<unknown, z.output<S>>>;
  /** The kind's request schema, from @dispatch/contracts. */
  body: S;
  /** How a bad body is named in its error: `invalid base image: name is required`. */
  what: string;
  /** The statuses the upstream API answers, where they are not 201, 200 and 200. */
  status?: { create?: number; update?: number; delete?: number };
  /**
   * Whether the list offers `watch=true` (server-sent `put` and `delete` events): kinds whose status
   * moves by itself. Never a kind whose model holds what the console must not pass on (secrets).
   */
  watch?: boolean;
}

/**
 * The five routes of the upstream API's named resources (create, list, get, update, delete) on one
 * kind's service, each body validated at the edge by the kind's schema. A kind's controller extends
 * the class this returns under its own `@Controller(path)` and adds only the routes that are its own:
 *
 *     @Controller('v1/baseimage')
 *     export class BaseImageController extends CrudRoutes({ service, body: baseImageRequest, what }) {}
 */
export function CrudRoutes<S extends NamedObject>(options: CrudRoutesOptions<S>): Type<object> {
  type Request = z.output<S>;
  const createBody = new ValidBody(options.body, options.what);
  const updateBody = new ValidBody(
    options.body.partial({ name: true }),
    options.what,
    v01NamesOf(options.body),
  );
  const status = { create: 201, update: 200, delete: 200, ...options.status };

  class KindRoutes {
    @Optional() @Inject(EntityWatches) readonly watches?: EntityWatches;

    constructor(@Inject(options.service) readonly service: KindService<unknown, Request>) {}

    @Post()
    @HttpCode(status.create)
    create(@Scope() scope: RequestScope, @Body(createBody) body: Request, @CallerOf() caller?: Caller) {
      return this.service.create(scope, body, caller);
    }

    @Get()
    async list(
      @Scope() scope: RequestScope,
      @Res({ passthrough: true }) reply: HeaderReply,
      @Query('tags') tags?: string | string[],
      @Query('function') fn?: string,
      @Query('watch') watch?: string,
    ) {
      if (watch === undefined || watch === 'false')
        return this.service.list(scope, { tags: parseTagFilter(tags), function: fn });
      if (watch !== 'true')
        throw new DomainError(
          'INVALID_ARGUMENT',
          `watch must be true or false, got ${JSON.stringify(watch.slice(0, 64))}`,
        );
      const start = options.watch ? this.service.watch?.bind(this.service) : undefined;
      if (!start || !this.watches)
        throw new DomainError('INVALID_ARGUMENT', `a list of ${options.what}s cannot be watched`);
      if (tags !== undefined || fn !== undefined)
        throw new DomainError(
          'INVALID_ARGUMENT',
          'watch=true watches the whole project: no tags or function',
        );
      const stream = await this.watches.open(scope, `${options.what}s`, (emit) => start(scope, emit));
      reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache')
        // nginx buffers an answer unless told not to; a watcher waits for each event.
        .header('x-accel-buffering', 'no');
      return stream;
    }

    @Get(':name')
    get(@Scope() scope: RequestScope, @Param('name') name: string) {
      return this.service.get(scope, name);
    }

    @Put(':name')
    @HttpCode(status.update)
    update(
      @Scope() scope: RequestScope,
      @Param('name') name: string,
      @Body(updateBody) body: UpdateRequest<Request>,
      @CallerOf() caller?: Caller,
    ) {
      return this.service.update(scope, name, body, caller);
    }

    @Delete(':name')
    @HttpCode(status.delete)
    delete(@Scope() scope: RequestScope, @Param('name') name: string, @CallerOf() caller?: Caller) {
      return this.service.delete(scope, name, caller);
    }
  }
  return KindRoutes;
}
