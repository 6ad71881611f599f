import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import type { Endpoint } from '@dispatch/contracts';
import { parseTagFilter, Scope, type RequestScope } from '@dispatch/platform';
import { EndpointService } from './endpoint.service.js';

/** `/v1/endpoint`, as in the upstream endpoints.yaml (whose create answers 200). */
@Controller('v1/endpoint')
export class EndpointController {
  constructor(private readonly endpoints: EndpointService) {}

  @Post()
  @HttpCode(200)
  create(@Scope() scope: RequestScope, @Body() body: unknown): Promise<Endpoint> {
    return this.endpoints.create(scope, body);
  }

  @Get()
  list(
    @Scope() scope: RequestScope,
    @Query('tags') tags?: string | string[],
    @Query('function') fn?: string,
  ): Promise<Endpoint[]> {
    return this.endpoints.list(scope, parseTagFilter(tags), fn);
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<Endpoint> {
    return this.endpoints.get(scope, name);
  }

  @Put(':name')
  update(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @Body() body: unknown,
  ): Promise<Endpoint> {
    return this.endpoints.update(scope, name, body);
  }

  @Delete(':name')
  delete(@Scope() scope: RequestScope, @Param('name') name: string): Promise<Endpoint> {
    return this.endpoints.delete(scope, name);
  }
}
