import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import type { Application } from '@dispatch/contracts';
import { parseTagFilter, Scope, type RequestScope } from '@dispatch/platform';
import { ApplicationService } from './application.service.js';

/** `/v1/application`, in the style of the upstream API's other resources. */
@Controller('v1/application')
export class ApplicationController {
  constructor(private readonly applications: ApplicationService) {}

  @Post()
  @HttpCode(201)
  create(@Scope() scope: RequestScope, @Body() body: unknown): Promise<Application> {
    return this.applications.create(scope, body);
  }

  @Get()
  list(@Scope() scope: RequestScope, @Query('tags') tags?: string | string[]): Promise<Application[]> {
    return this.applications.list(scope, parseTagFilter(tags));
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<Application> {
    return this.applications.get(scope, name);
  }

  @Put(':name')
  update(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @Body() body: unknown,
  ): Promise<Application> {
    return this.applications.update(scope, name, body);
  }

  @Delete(':name')
  delete(@Scope() scope: RequestScope, @Param('name') name: string): Promise<Application> {
    return this.applications.delete(scope, name);
  }
}
