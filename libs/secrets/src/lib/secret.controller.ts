import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import type { Secret } from '@dispatch/contracts';
import { parseTagFilter, Scope, type RequestScope } from '@dispatch/platform';
import { SecretService } from './secret.service.js';

/** `/v1/secret`, as in the upstream secrets.yaml (whose update answers 201 and delete 204). */
@Controller('v1/secret')
export class SecretController {
  constructor(private readonly secrets: SecretService) {}

  @Post()
  @HttpCode(201)
  create(@Scope() scope: RequestScope, @Body() body: unknown): Promise<Secret> {
    return this.secrets.create(scope, body);
  }

  @Get()
  list(@Scope() scope: RequestScope, @Query('tags') tags?: string | string[]): Promise<Secret[]> {
    return this.secrets.list(scope, parseTagFilter(tags));
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<Secret> {
    return this.secrets.get(scope, name);
  }

  @Put(':name')
  @HttpCode(201)
  update(@Scope() scope: RequestScope, @Param('name') name: string, @Body() body: unknown): Promise<Secret> {
    return this.secrets.update(scope, name, body);
  }

  @Delete(':name')
  @HttpCode(204)
  async delete(@Scope() scope: RequestScope, @Param('name') name: string): Promise<void> {
    await this.secrets.delete(scope, name);
  }
}
