import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import type { Caller, Subscription } from '@dispatch/contracts';
import { CallerOf } from '@dispatch/auth';
import { parseTagFilter, Scope, type RequestScope, Resource } from '@dispatch/platform';
import { SubscriptionService } from './subscription.service.js';

/** `/v1/event/subscriptions`, as in the upstream event-manager.yaml (create answers 201). */
@Controller('v1/event/subscriptions')
@Resource('subscription')
export class SubscriptionController {
  constructor(private readonly subscriptions: SubscriptionService) {}

  @Post()
  @HttpCode(201)
  create(
    @Scope() scope: RequestScope,
    @Body() body: unknown,
    @CallerOf() caller?: Caller,
  ): Promise<Subscription> {
    return this.subscriptions.create(scope, body, caller);
  }

  @Get()
  list(
    @Scope() scope: RequestScope,
    @Query('tags') tags?: string | string[],
    @Query('function') fn?: string,
  ): Promise<Subscription[]> {
    return this.subscriptions.list(scope, parseTagFilter(tags), fn);
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<Subscription> {
    return this.subscriptions.get(scope, name);
  }

  @Put(':name')
  update(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @Body() body: unknown,
    @CallerOf() caller?: Caller,
  ): Promise<Subscription> {
    return this.subscriptions.update(scope, name, body, caller);
  }

  @Delete(':name')
  delete(@Scope() scope: RequestScope, @Param('name') name: string): Promise<Subscription> {
    return this.subscriptions.delete(scope, name);
  }
}
