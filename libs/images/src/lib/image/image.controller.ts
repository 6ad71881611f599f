import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import type { Image } from '@dispatch/contracts';
import { parseTagFilter, Scope, type RequestScope } from '@dispatch/platform';
import { ImageService } from './image.service.js';

/** `/v1/image`, as in the upstream images.yaml. */
@Controller('v1/image')
export class ImageController {
  constructor(private readonly images: ImageService) {}

  @Post()
  @HttpCode(201)
  create(@Scope() scope: RequestScope, @Body() body: unknown): Promise<Image> {
    return this.images.create(scope, body);
  }

  @Get()
  list(@Scope() scope: RequestScope, @Query('tags') tags?: string | string[]): Promise<Image[]> {
    return this.images.list(scope, parseTagFilter(tags));
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<Image> {
    return this.images.get(scope, name);
  }

  @Put(':name')
  update(@Scope() scope: RequestScope, @Param('name') name: string, @Body() body: unknown): Promise<Image> {
    return this.images.update(scope, name, body);
  }

  @Delete(':name')
  delete(@Scope() scope: RequestScope, @Param('name') name: string): Promise<Image> {
    return this.images.delete(scope, name);
  }
}
