import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import {
  ACCESS_ACTION,
  ACCESS_INSTALLATION,
  ACCESS_ORG_PARAM,
  ACCESS_RESOURCE,
  actionOfMethod,
  PUBLIC_ROUTE,
  scopeOf,
} from '@dispatch/platform';
import { DomainError, NAME_PATTERN, type Caller } from '@dispatch/contracts';

import { AccessControl } from './access-control.js';

interface RouteAccess {
  public: boolean;
  resource: string;
  action?: string;
  /** The path parameter naming the org acted on (organisation routes). */
  orgParam?: string;
  installationWide: boolean;
}

type GuardedRequest = {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string | undefined>;
  caller?: Caller;
};

/**
 * The one guard of every service: a route not marked @Public needs a credential that AccessControl
 * authenticates and the policies allow for the route's resource and action in the call's org. The caller
 * is left on the request for handlers that report it.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  /** Per handler: what the decorators say, read once rather than on every call. */
  private readonly routes = new WeakMap<object, RouteAccess>();

  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessControl,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.routeOf(context);
    if (route.public) return true;
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const authorization = request.headers['authorization'];
    const caller = this.access.check({
      authorization: Array.isArray(authorization) ? authorization[0] : authorization,
      org: scopeOf(request.headers).org,
      target: route.orgParam ? orgInPath(request.params?.[route.orgParam]) : undefined,
      resource: route.resource,
      action: route.action ?? actionOfMethod(request.method),
      installationWide: route.installationWide,
    });
    if (caller instanceof Promise)
      return caller.then((c) => {
        request.caller = c;
        return true;
      });
    request.caller = caller;
    return true;
  }

  private routeOf(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (!route) {
      const targets = [handler, context.getClass()];
      route = {
        public: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) ?? false,
        resource:
          this.reflector.getAllAndOverride<string>(ACCESS_RESOURCE, targets) ??
          resourceOfPath(this.reflector.get<string>(PATH_METADATA, context.getClass())),
        action: this.reflector.getAllAndOverride<string>(ACCESS_ACTION, targets),
        orgParam: this.reflector.getAllAndOverride<string>(ACCESS_ORG_PARAM, targets),
        installationWide: this.reflector.getAllAndOverride<boolean>(ACCESS_INSTALLATION, targets) ?? false,
      };
      this.routes.set(handler, route);
    }
    return route;
  }
}

function orgInPath(name: string | undefined): string {
  if (name === undefined || !NAME_PATTERN.test(name))
    throw new DomainError('INVALID_ARGUMENT', `invalid organization name ${JSON.stringify(name)}`);
  return name;
}

/** `v1/secret` → `secret`: what a controller without @Resource acts on. */
function resourceOfPath(path: string | undefined): string {
  const parts = (path ?? '').split('/').filter(Boolean);
  return (parts[0] === 'v1' ? parts[1] : parts[0]) ?? 'api';
}
