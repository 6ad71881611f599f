import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Caller } from '@dispatch/contracts';

/**
 * `@CallerOf() caller: Caller | undefined` in a controller method: who the guard let in, for a service
 * that decides more than the route does (the secrets a caller names, what spans organisations).
 * Undefined only where no guard runs (a domain lib's own tests).
 */
export const CallerOf = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Caller | undefined =>
    ctx.switchToHttp().getRequest<{ caller?: Caller }>().caller,
);
