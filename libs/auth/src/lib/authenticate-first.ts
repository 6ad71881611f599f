import { Injectable, RequestMethod, type OnModuleInit } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, HttpAdapterHost } from '@nestjs/core';
import { PUBLIC_ROUTE } from '@dispatch/platform';
import { AccessControl } from './access-control.js';

interface HookRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  routeOptions?: { url?: string };
}

interface Hooks {
  addHook(
    name: 'onRequest',
    hook: (request: HookRequest, reply: unknown, done: (err?: Error) => void) => void,
  ): void;
}

const EVERY_METHOD = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Proves a call's credential as soon as its headers arrive, before its body is read: Nest's guard runs
 * only after Fastify has parsed the body, so without this anyone could make a process read and parse
 * megabytes of JSON with no credential at all. Public routes (health, version, login, webhooks) pass;
 * so does every call once its token is proven, leaving the decision to the guard, which finds the
 * token remembered.
 */
@Injectable()
export class AuthenticateFirst implements OnModuleInit {
  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly discovery: DiscoveryService,
    private readonly access: AccessControl,
  ) {}

  onModuleInit(): void {
    const instance = this.adapter.httpAdapter?.getInstance() as Partial<Hooks> | undefined;
    if (typeof instance?.addHook !== 'function') return;
    const open = this.publicRoutes();
    instance.addHook('onRequest', (request, _reply, done) => {
      const header = request.headers['authorization'];
      const authorization = Array.isArray(header) ? header[0] : header;
      // A token proven before (every warm call) passes at once, with no look at the route.
      if (this.access.remembers(authorization)) return done();
      const method = request.method === 'HEAD' ? 'GET' : request.method;
      if (open.has(`${method} ${request.routeOptions?.url}`)) return done();
      try {
        const caller = this.access.authenticate(authorization);
        if (caller instanceof Promise) caller.then(() => done(), done);
        else done();
      } catch (err) {
        done(err as Error);
      }
    });
  }

  /** `METHOD /path/:param` of every route marked @Public, as Fastify knows the route. */
  private publicRoutes(): Set<string> {
    const routes = new Set<string>();
    for (const { metatype } of this.discovery.getControllers()) {
      if (!metatype) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
      const publicClass = Reflect.getMetadata(PUBLIC_ROUTE, metatype) === true;
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const key of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[key];
        if (key === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined) continue;
        if (!publicClass && Reflect.getMetadata(PUBLIC_ROUTE, handler) !== true) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const full = `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
        // A route of every method (@All: the console's way to the API) is public for each of them.
        for (const each of method === 'ALL' ? EVERY_METHOD : [method]) routes.add(`${each} ${full}`);
      }
    }
    return routes;
  }
}
