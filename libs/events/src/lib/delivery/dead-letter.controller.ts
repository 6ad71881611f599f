import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import type { DeadLetter } from '@dispatch/contracts';
import { Scope, type RequestScope, Resource } from '@dispatch/platform';
import { DeadLetterService } from './dead-letter.service.js';

/** `/v1/event/deadletters`: events whose delivery ran out of attempts (not in the upstream API). */
@Controller('v1/event/deadletters')
@Resource('deadletter')
export class DeadLetterController {
  constructor(private readonly deadLetters: DeadLetterService) {}

  @Get()
  list(@Scope() scope: RequestScope, @Query('subscription') subscription?: string): Promise<DeadLetter[]> {
    return this.deadLetters.list(scope, subscription);
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<DeadLetter> {
    return this.deadLetters.get(scope, name);
  }

  @Delete(':name')
  delete(@Scope() scope: RequestScope, @Param('name') name: string): Promise<DeadLetter> {
    return this.deadLetters.delete(scope, name);
  }
}
