import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import type { Caller, DispatchFunction } from '@dispatch/contracts';
import { CallerOf } from '@dispatch/auth';
import { parseTagFilter, Scope, type RequestScope } from '@dispatch/platform';
import { FunctionService } from './function.service.js';

/** `/v1/function`, as in the upstream functions.yaml. */
@Controller('v1/function')
export class FunctionController {
  constructor(private readonly functions: FunctionService) {}

  @Post()
  @HttpCode(201)
  create(
    @Scope() scope: RequestScope,
    @Body() body: unknown,
    @CallerOf() caller?: Caller,
  ): Promise<DispatchFunction> {
    return this.functions.create(scope, body, caller);
  }

  @Get()
  list(@Scope() scope: RequestScope, @Query('tags') tags?: string | string[]): Promise<DispatchFunction[]> {
    return this.functions.list(scope, parseTagFilter(tags));
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<DispatchFunction> {
    return this.functions.get(scope, name);
  }

  @Put(':name')
  update(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @Body() body: unknown,
    @CallerOf() caller?: Caller,
  ): Promise<DispatchFunction> {
    return this.functions.update(scope, name, body, caller);
  }

  @Delete(':name')
  delete(@Scope() scope: RequestScope, @Param('name') name: string): Promise<DispatchFunction> {
    return this.functions.delete(scope, name);
  }
}
