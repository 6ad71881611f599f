import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  DomainError,
  ENDPOINT_KIND,
  FUNCTION_INVOKER,
  ORGANIZATION_KIND,
  type EndpointSpec,
  type Entity,
  type FunctionInvoker,
  type OrganizationSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import {
  activeTracer,
  EntityCache,
  inServerSpan,
  REQUEST_ID_HEADER,
  wellFormedOr,
  withRequestId,
} from '@dispatch/platform';
import { trace } from '@opentelemetry/api';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config.js';
import { errorReply, errorReplyOf, jsonReply, runReply, send, type Reply } from './reply.js';
import { inputOf, readBody } from './request-input.js';
import { RouteTable } from './route-table.js';
import { httpContextOf } from './http-context.js';
import { loadTls } from './tls.js';

type Protocol = 'http' | 'https';

/**
 * Serves endpoints: plain node:http and node:https servers (no framework on the hot path), a route
 * table rebuilt from the store's watch, and the FunctionInvoker of the functions domain. Each request
 * becomes one run with `context.httpContext`; the run's payload becomes the response.
 */
@Injectable()
export class GatewayServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('gateway');
  private readonly routes = new RouteTable();
  private readonly endpoints: EntityCache<EndpointSpec>;
  /** Organisations, for the hosts each was granted: a host route counts only while its grant stands. */
  private readonly organizations: EntityCache<OrganizationSpec>;
  private readonly servers: Server[] = [];
  private loaded = false;
  /** Where the gateway listens, once it does. */
  readonly urls: Partial<Record<Protocol, string>> = {};

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENTITY_STORE) store: EntityStore,
    @Inject(FUNCTION_INVOKER) private readonly invoker: FunctionInvoker,
  ) {
    const rebuild = () => this.routes.rebuild(this.endpoints.values(), this.grants());
    this.endpoints = new EntityCache<EndpointSpec>({
      name: 'endpoint',
      store,
      kind: ENDPOINT_KIND,
      onChange: rebuild,
    });
    this.organizations = new EntityCache<OrganizationSpec>({
      name: 'organization',
      store,
      kind: ORGANIZATION_KIND,
      onChange: rebuild,
    });
    void Promise.all([this.endpoints.loaded, this.organizations.loaded]).then(() => {
      rebuild();
      this.loaded = true;
    });
  }

  private grants(): Map<string, string[]> {
    const grants = new Map<string, string[]>();
    for (const org of this.organizations.values())
      if (org.org === org.name && org.spec.hosts?.length) grants.set(org.name, org.spec.hosts);
    return grants;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.endpoints.start();
    this.organizations.start();
    const { host, port, tlsPort } = this.config;
    if (port !== undefined) {
      await this.listen(
        'http',
        createServer((req, res) => this.handle(req, res, this.plainProtocolOf(req))),
        host,
        port,
      );
    }
    if (tlsPort !== undefined) {
      const tls = await loadTls({
        certFile: this.config.tlsCert,
        keyFile: this.config.tlsKey,
        dataDir: this.config.dataDir,
      });
      const server = createTlsServer(tls, (req, res) => this.handle(req, res, 'https'));
      await this.listen('https', server, host, tlsPort);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.endpoints.stop(), this.organizations.stop()]);
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  private async listen(protocol: Protocol, server: Server, host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            err.code === 'EADDRINUSE'
              ? `the gateway's ${protocol} port ${port} is in use by another program`
              : `the gateway cannot listen on ${host}:${port}: ${err.message}`,
          ),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.servers.push(server);
    const bound = (server.address() as AddressInfo).port;
    this.urls[protocol] = `${protocol}://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  }

  /** A plain HTTP request's protocol: HTTPS when a trusted proxy terminated TLS for it (forwardedProto). */
  private plainProtocolOf(req: IncomingMessage): Protocol {
    if (!this.config.forwardedProto) return 'http';
    const forwarded = req.headers['x-forwarded-proto'];
    // A chain of proxies lists one protocol each, the client's first.
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
    return first === 'https' ? 'https' : 'http';
  }

  /**
   * One call: its request id (the caller's X-Request-Id when it is a plain id, else a new one, answered
   * back) for the platform's logs and the run it makes, in a server span when tracing is on.
   */
  private handle(req: IncomingMessage, res: ServerResponse, protocol: Protocol): void {
    const sent = req.headers[REQUEST_ID_HEADER];
    const requestId = wellFormedOr(typeof sent === 'string' ? sent : undefined);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const answer = () =>
      this.reply(req, protocol).then(
        (reply) => {
          send(res, reply);
          return reply.status;
        },
        (err: unknown) => {
          if (!(err instanceof DomainError))
            this.logger.error(err instanceof Error ? (err.stack ?? err.message) : err);
          const reply = errorReplyOf(err);
          send(res, reply);
          return reply.status;
        },
      );
    void withRequestId(requestId, () =>
      activeTracer()
        ? inServerSpan(req.method ?? 'GET', targetOf(req.url ?? '/').path, req.headers, answer)
        : answer(),
    );
  }

  private async reply(req: IncomingMessage, protocol: Protocol): Promise<Reply> {
    if (!this.loaded)
      return errorReply('UNAVAILABLE', 'the gateway is still loading its endpoints; retry shortly');
    const url = targetOf(req.url ?? '/');
    const method = req.method ?? 'GET';
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const match = this.routes.match(host, url.path, method);
    if (match.kind === 'none') return errorReply('NOT_FOUND', `no endpoint serves ${method} ${url.path}`);
    if (match.kind === 'method') {
      if (method === 'OPTIONS' && match.cors) return preflight(req, match.cors, match.allow);
      return withHeader(
        errorReply('METHOD_NOT_ALLOWED', `${url.path} answers ${match.allow.join(', ')}, not ${method}`),
        'allow',
        match.allow.join(', '),
      );
    }
    const { endpoint } = match;
    trace
      .getActiveSpan()
      ?.updateName(`${method} endpoint ${endpoint.name}`)
      .setAttributes({ 'dispatch.org': endpoint.org, 'dispatch.endpoint': endpoint.name });
    if (!endpoint.spec.protocols.includes(protocol)) {
      const other = protocol === 'http' ? 'HTTPS' : 'plain HTTP';
      return errorReply('HTTPS_REQUIRED', `endpoint ${endpoint.name} accepts ${other} only`);
    }
    const body = await readBody(req);
    const input = await inputOf(req, body, url.query);
    const run = await this.invoker.run(
      { org: endpoint.org, project: endpoint.project },
      {
        functionName: endpoint.spec.function,
        input,
        blocking: req.headers['x-dispatch-blocking'] !== 'false',
        httpContext: httpContextOf(req, url, protocol, endpoint.spec.forwardCredentials === true),
      },
    );
    const reply = run.blocking ? runReply(run) : jsonReply(202, run);
    return endpoint.spec.cors ? withCors(reply, req) : reply;
  }
}

/** A path of only the characters a URL path keeps as they are. */
const PLAIN_PATH = /^\/[\w\-.~!$&'()*+,;=:@/]*$/;

/**
 * The path and query of a request target. A plain path is taken as it is; any other goes through the
 * WHATWG URL parser to be normalised (`/a/../b` is `/b`, escapes as the parser writes them), since
 * routes match on the normalised path.
 */
export function targetOf(target: string): { path: string; query: URLSearchParams } {
  const mark = target.indexOf('?');
  const path = mark < 0 ? target : target.slice(0, mark);
  // `/.` may start a dot segment, which the parser removes.
  if (PLAIN_PATH.test(path) && !path.includes('/.')) {
    return { path, query: new URLSearchParams(mark < 0 ? '' : target.slice(mark + 1)) };
  }
  const url = new URL(target, 'http://gateway');
  return { path: url.pathname, query: url.searchParams };
}

function withHeader(reply: Reply, name: string, value: string): Reply {
  reply.headers[name] = value;
  return reply;
}

function withCors(reply: Reply, req: IncomingMessage): Reply {
  reply.headers['access-control-allow-origin'] = req.headers.origin ?? '*';
  reply.headers['vary'] = 'Origin';
  return reply;
}

/** A CORS preflight for an endpoint marked `cors`: which methods and headers the browser may use. */
function preflight(req: IncomingMessage, endpoint: Entity<EndpointSpec>, allow: string[]): Reply {
  const requested = req.headers['access-control-request-headers'];
  return withCors(
    {
      status: 204,
      headers: {
        'access-control-allow-methods': allow.join(', '),
        'access-control-allow-headers': typeof requested === 'string' ? requested : 'content-type',
        'access-control-max-age': '600',
        'x-dispatch-endpoint': endpoint.name,
      },
      body: '',
    },
    req,
  );
}
