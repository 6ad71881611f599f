import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import type { Emission } from '@dispatch/contracts';
import { Scope, type RequestScope } from '@dispatch/platform';
import { EmissionService } from './emission.service.js';

/** `POST /v1/event`: emit an event (the upstream event-manager.yaml answers 200 with the Emission). */
@Controller('v1/event')
export class EmissionController {
  constructor(private readonly emissions: EmissionService) {}

  @Post()
  @HttpCode(200)
  emit(@Scope() scope: RequestScope, @Body() body: unknown): Promise<Emission> {
    return this.emissions.emit(scope, body);
  }
}
