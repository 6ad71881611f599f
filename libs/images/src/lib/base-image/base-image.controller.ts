import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import type { BaseImage } from '@dispatch/contracts';
import { parseTagFilter, Scope, type RequestScope } from '@dispatch/platform';
import { BaseImageService } from './base-image.service.js';

/** `/v1/baseimage`, as in the upstream baseimages.yaml. */
@Controller('v1/baseimage')
export class BaseImageController {
  constructor(private readonly baseImages: BaseImageService) {}

  @Post()
  @HttpCode(201)
  create(@Scope() scope: RequestScope, @Body() body: unknown): Promise<BaseImage> {
    return this.baseImages.create(scope, body);
  }

  @Get()
  list(@Scope() scope: RequestScope, @Query('tags') tags?: string | string[]): Promise<BaseImage[]> {
    return this.baseImages.list(scope, parseTagFilter(tags));
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<BaseImage> {
    return this.baseImages.get(scope, name);
  }

  @Put(':name')
  update(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @Body() body: unknown,
  ): Promise<BaseImage> {
    return this.baseImages.update(scope, name, body);
  }

  @Delete(':name')
  delete(@Scope() scope: RequestScope, @Param('name') name: string): Promise<BaseImage> {
    return this.baseImages.delete(scope, name);
  }
}
