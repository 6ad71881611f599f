import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import type { Caller, EventDriver, EventDriverType } from '@dispatch/contracts';
import { CallerOf } from '@dispatch/auth';
import { parseTagFilter, Scope, type RequestScope, Resource } from '@dispatch/platform';
import { DriverTypeService } from './driver-type.service.js';
import { DriverService } from './driver.service.js';

/** `/v1/event/drivers`, as in the upstream event-manager.yaml (create answers 201). */
@Controller('v1/event/drivers')
@Resource('eventdriver')
export class DriverController {
  constructor(private readonly drivers: DriverService) {}

  @Post()
  @HttpCode(201)
  create(
    @Scope() scope: RequestScope,
    @Body() body: unknown,
    @CallerOf() caller?: Caller,
  ): Promise<EventDriver> {
    return this.drivers.create(scope, body, caller);
  }

  @Get()
  list(@Scope() scope: RequestScope, @Query('tags') tags?: string | string[]): Promise<EventDriver[]> {
    return this.drivers.list(scope, parseTagFilter(tags));
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<EventDriver> {
    return this.drivers.get(scope, name);
  }

  @Put(':name')
  update(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @Body() body: unknown,
    @CallerOf() caller?: Caller,
  ): Promise<EventDriver> {
    return this.drivers.update(scope, name, body, caller);
  }

  @Delete(':name')
  delete(@Scope() scope: RequestScope, @Param('name') name: string): Promise<EventDriver> {
    return this.drivers.delete(scope, name);
  }
}

/** `/v1/event/drivertypes`, as in the upstream event-manager.yaml; the built-in types are listed too. */
@Controller('v1/event/drivertypes')
@Resource('eventdrivertype')
export class DriverTypeController {
  constructor(private readonly types: DriverTypeService) {}

  @Post()
  @HttpCode(201)
  create(@Scope() scope: RequestScope, @Body() body: unknown): Promise<EventDriverType> {
    return this.types.create(scope, body);
  }

  @Get()
  list(@Scope() scope: RequestScope, @Query('tags') tags?: string | string[]): Promise<EventDriverType[]> {
    return this.types.list(scope, parseTagFilter(tags));
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<EventDriverType> {
    return this.types.get(scope, name);
  }

  @Put(':name')
  update(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @Body() body: unknown,
  ): Promise<EventDriverType> {
    return this.types.update(scope, name, body);
  }

  @Delete(':name')
  delete(@Scope() scope: RequestScope, @Param('name') name: string): Promise<EventDriverType> {
    return this.types.delete(scope, name);
  }
}
