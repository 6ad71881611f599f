import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { DEFAULT_ORG, DEFAULT_PROJECT, DomainError, NAME_PATTERN, SYSTEM_ORG } from '@dispatch/contracts';

export interface RequestScope {
  org: string;
  project: string;
}

function header(value: string | string[] | undefined, name: string, fallback: string): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === '') return fallback;
  if (!NAME_PATTERN.test(v))
    throw new DomainError('INVALID_ARGUMENT', `invalid ${name} header ${JSON.stringify(v)}`);
  return v;
}

/** The org and project a call works in: the upstream API's headers, `default` when absent. */
export function scopeOf(headers: Record<string, string | string[] | undefined>): RequestScope {
  const org = header(headers['x-dispatch-org'], 'X-Dispatch-Org', DEFAULT_ORG);
  if (org === SYSTEM_ORG)
    throw new DomainError('INVALID_ARGUMENT', `organization ${SYSTEM_ORG} is reserved for Dispatch itself`);
  return {
    org,
    project: header(headers['x-dispatch-project'], 'X-Dispatch-Project', DEFAULT_PROJECT),
  };
}

/** `@Scope() scope: RequestScope` in a controller method. */
export const Scope = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestScope => {
  const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
  return scopeOf(req.headers);
});
