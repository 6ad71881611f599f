import {
  type Application,
  type ApplicationRequest,
  type BaseImageRequest,
  type EndpointRequest,
  type EventDriverRequest,
  type EventDriverTypeRequest,
  type FunctionRequest,
  type ImageRequest,
  type OrganizationRequest,
  type PolicyRequest,
  type SecretRequest,
  type ServiceAccountRequest,
  type SubscriptionRequest,
  DEFAULT_ORG,
  DEFAULT_PROJECT,
  DomainError,
  errorCodeOfStatus,
  isErrorCode,
  type ErrorCode,
  type BaseImage,
  type DeadLetter,
  type Emission,
  type EventDriver,
  type EventDriverType,
  type Subscription,
  type DispatchFunction,
  type Endpoint,
  type Image,
  type PrintedLog,
  type Run,
  type RunRequestBody,
  type FunctionActivityAnswer,
  type FunctionSourceAnswer,
  type Secret,
  type DeviceLogin,
  type LoginConfig,
  type LoginPending,
  type LoginTokens,
  type LoginTokenRequest,
  type Organization,
  type Policy,
  type ServiceAccount,
  type Tag,
  type VersionInfo,
} from '@dispatch/contracts';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { fetchTransport, type HttpAnswer, type Transport } from './fetch-transport.js';

/** What a follow of runs brings: a run that finished, or a piece of what one printed meanwhile. */
export type FollowEvent = { run: Run } | { log: PrintedLog };

export interface ClientOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  org?: string;
  project?: string;
  /** The bearer credential, or where to get a current one for each request (a service's own). */
  token?: string | (() => string | Promise<string>);
  /** Per-request deadline. */
  timeoutMs?: number;
  /**
   * Tries a call again, after 1, 2, 4... times `backoffMs`, when the other side is restarting or
   * unreachable: one service reading from another. Only what cannot run twice by it is retried: a read
   * (GET) after any failure to connect or a 502/503/504, and any call the server never received
   * (connection refused). Default: one attempt.
   */
  retry?: { attempts: number; backoffMs: number };
  /** How calls are sent: fetch unless told otherwise (a service calling another keeps connections). */
  transport?: Transport;
  /** The id of the call a request is part of (a service's own caller's), sent as X-Request-Id. */
  requestId?: () => string | undefined;
  /** Sent with every request: the console's CSRF token, where its session cookie is the credential. */
  headers?: Record<string, string>;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

/** How one service calls another: five attempts over about 1.5 s, long enough to ride out a restart. */
export const SERVICE_RETRY = { attempts: 5, backoffMs: 100 };

/** An answer the server refused, carrying its status and domain code so callers can branch on them. */
export class ApiError extends DomainError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** One named resource of the API: `Request` is what its schema in @dispatch/contracts accepts. */
export interface ResourceClient<T, Request extends { name: string } = { name: string }> {
  create(body: Request): Promise<T>;
  get(name: string): Promise<T>;
  list(tags?: Tag[]): Promise<T[]>;
  /** The body's name may be left out: the path names the resource. */
  update(name: string, body: Omit<Request, 'name'> & { name?: string }): Promise<T>;
  delete(name: string): Promise<T>;
  /**
   * Every change of the kind in the project from now on (kinds whose status moves by themselves):
   * list first, then apply these. Ends when the server ends it or `signal` aborts.
   */
  watch(
    signal: AbortSignal,
  ): Promise<{ changes: AsyncIterable<WatchChange<T>>; ended: () => string | undefined }>;
}

/** A change a watch of a list brings: an entity created or changed, or one gone. */
export type WatchChange<T> = { type: 'put'; model: T } | { type: 'delete'; name: string };

/**
 * The typed HTTP client of the Dispatch API, used by the CLI, the UI and the tests. It sends the
 * org/project headers of the upstream API and turns error bodies into ApiErrors. This is the client
 * as a browser loads it; Node processes use DispatchClient, which adds the trace context.
 */
export class BaseDispatchClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  version(): Promise<VersionInfo> {
    return this.request<VersionInfo>('GET', '/v1/version');
  }

  readonly baseImages = this.resource<BaseImage, BaseImageRequest>('/v1/baseimage');
  readonly images = this.resource<Image, ImageRequest>('/v1/image');
  readonly functions = this.resource<DispatchFunction, FunctionRequest>('/v1/function');
  readonly secrets = this.resource<Secret, SecretRequest>('/v1/secret');
  readonly endpoints = this.resource<Endpoint, EndpointRequest>('/v1/endpoint');
  readonly applications = this.resource<Application, ApplicationRequest>('/v1/application');
  readonly subscriptions = this.resource<Subscription, SubscriptionRequest>('/v1/event/subscriptions');
  readonly deadLetters = this.resource<DeadLetter, never>('/v1/event/deadletters');
  readonly eventDrivers = this.resource<EventDriver, EventDriverRequest>('/v1/event/drivers');
  readonly eventDriverTypes = this.resource<EventDriverType, EventDriverTypeRequest>('/v1/event/drivertypes');
  readonly organizations = this.resource<Organization, OrganizationRequest>('/v1/iam/organization');
  readonly policies = this.resource<Policy, PolicyRequest>('/v1/iam/policy');
  readonly serviceAccounts = this.resource<ServiceAccount, ServiceAccountRequest>('/v1/iam/serviceaccount');

  /** Proves the client's credential (`/v1/iam/auth` without an original call). */
  auth(): Promise<{ message: string }> {
    return this.request<{ message: string }>('GET', '/v1/iam/auth');
  }

  /** The login broker: which OpenID provider to sign in with. */
  loginConfig(): Promise<LoginConfig> {
    return this.request<LoginConfig>('GET', '/v1/iam/login');
  }

  /** Redeems a code, a device code or a refresh token: tokens, or `pending` while a device login waits. */
  loginToken(body: LoginTokenRequest): Promise<LoginTokens | LoginPending> {
    return this.request('POST', '/v1/iam/login/token', body);
  }

  startDeviceLogin(): Promise<DeviceLogin> {
    return this.request<DeviceLogin>('POST', '/v1/iam/login/device');
  }

  logout(refreshToken: string): Promise<void> {
    return this.request<void>('POST', '/v1/iam/logout', { refreshToken });
  }

  /** Emits an event (CloudEvents 1.0, or the 0.1 field names) in the client's org and project. */
  emit(event: Record<string, unknown>): Promise<Emission> {
    return this.request<Emission>('POST', '/v1/event', event);
  }

  /** Executes a function: the finished Run when blocking, the accepted one otherwise. */
  runFunction(functionName: string, body: Omit<RunRequestBody, 'functionName'>): Promise<Run> {
    return this.request<Run>('POST', `/v1/runs?functionName=${encodeURIComponent(functionName)}`, {
      functionName,
      ...body,
    });
  }

  /** A function's last hour, a point a minute: runs, errors, cold starts, p50 and p99 durations. */
  functionActivity(name: string): Promise<FunctionActivityAnswer> {
    return this.request<FunctionActivityAnswer>('GET', `/v1/function/${encodeURIComponent(name)}/activity`);
  }

  /** A function's code as it was given: `source` is a base64 gzipped tar. */
  functionSource(name: string): Promise<FunctionSourceAnswer> {
    return this.request<FunctionSourceAnswer>('GET', `/v1/function/${encodeURIComponent(name)}/source`);
  }

  getRuns(functionName?: string): Promise<Run[]> {
    const query = functionName ? `?functionName=${encodeURIComponent(functionName)}` : '';
    return this.request<Run[]>('GET', `/v1/runs${query}`);
  }

  /**
   * Follows runs as they finish (of one function, or of every function of the project), and with `logs`
   * what they print as they print it: resolves once the server follows. The iteration ends when the
   * server ends the stream (`ended` says why, when it said) or `signal` aborts.
   */
  async followRuns(
    functionName: string | undefined,
    signal: AbortSignal,
    { logs = false }: { logs?: boolean } = {},
  ): Promise<{ events: AsyncIterable<FollowEvent>; ended: () => string | undefined }> {
    const query = `${functionName ? `&functionName=${encodeURIComponent(functionName)}` : ''}${logs ? '&logs=true' : ''}`;
    const { events, ended } = await this.serverEvents(`/v1/runs?follow=true${query}`, signal);
    async function* follow(): AsyncGenerator<FollowEvent> {
      for await (const event of events) {
        if (event.event === 'run') yield { run: JSON.parse(event.data) as Run };
        else if (event.event === 'log') yield { log: JSON.parse(event.data) as PrintedLog };
      }
    }
    return { events: follow(), ended };
  }

  /**
   * Server-sent events from `path`: resolves once the server answers. The iteration ends when the
   * server ends the stream (`ended` says why, when it said, in an `end` event) or `signal` aborts.
   */
  async serverEvents(
    path: string,
    signal: AbortSignal,
  ): Promise<{ events: AsyncIterable<{ event?: string; data: string }>; ended: () => string | undefined }> {
    const url = `${this.baseUrl}${path}`;
    const headers = { ...(await this.headers()), accept: 'text/event-stream' };
    let res: Response;
    try {
      res = await fetch(url, { headers, signal });
    } catch (err) {
      if (signal.aborted) throw err;
      const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ApiError(0, 'UNAVAILABLE', `cannot reach Dispatch at ${this.baseUrl} (${reason})`);
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      throw toApiError(res.status, safeJson(text), text);
    }
    let reason: string | undefined;
    const stream = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
    async function* events(): AsyncGenerator<{ event?: string; data: string }> {
      try {
        for await (const event of stream) {
          if (event.event === 'end') reason = (JSON.parse(event.data) as { reason?: string }).reason;
          else yield event;
        }
      } catch (err) {
        if (!signal.aborted) reason = `the stream broke: ${(err as Error).message}`;
      }
    }
    return { events: events(), ended: () => reason };
  }

  getRun(runName: string, functionName?: string): Promise<Run> {
    const query = functionName ? `?functionName=${encodeURIComponent(functionName)}` : '';
    return this.request<Run>('GET', `/v1/runs/${encodeURIComponent(runName)}${query}`);
  }

  /** The upstream API's CRUD shape, shared by every named resource. */
  private resource<T, Request extends { name: string }>(base: string): ResourceClient<T, Request> {
    const at = (name: string) => `${base}/${encodeURIComponent(name)}`;
    return {
      watch: async (signal) => {
        const { events, ended } = await this.serverEvents(`${base}?watch=true`, signal);
        async function* changes(): AsyncGenerator<WatchChange<T>> {
          for await (const event of events) {
            if (event.event === 'put') yield { type: 'put', model: JSON.parse(event.data) as T };
            else if (event.event === 'delete')
              yield { type: 'delete', name: (JSON.parse(event.data) as { name: string }).name };
          }
        }
        return { changes: changes(), ended };
      },
      create: (body) => this.request<T>('POST', base, body),
      get: (name) => this.request<T>('GET', at(name)),
      list: (tags = []) => {
        const query = tags.map((t) => `tags=${encodeURIComponent(`${t.key}=${t.value}`)}`).join('&');
        return this.request<T[]>('GET', query ? `${base}?${query}` : base);
      },
      update: (name, body) => this.request<T>('PUT', at(name), body),
      delete: (name) => this.request<T>('DELETE', at(name)),
    };
  }

  /** Who asks, for what org and project, as part of which call: the headers of every request. */
  private async headers(): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      ...this.options.headers,
      accept: 'application/json',
      'x-dispatch-org': this.options.org ?? DEFAULT_ORG,
      'x-dispatch-project': this.options.project ?? DEFAULT_PROJECT,
    };
    const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    if (token) headers['authorization'] = `Bearer ${token}`;
    const requestId = this.options.requestId?.();
    if (requestId) headers['x-request-id'] = requestId;
    this.addTraceContext(headers);
    return headers;
  }

  /** Where a traced client puts its caller's trace context; a browser's has none to give. */
  protected addTraceContext(_headers: Record<string, string>): void {
    // Nothing: a page's calls are not part of a trace the platform follows.
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers = await this.headers();
    if (body !== undefined) headers['content-type'] = 'application/json';
    const { attempts, backoffMs } = this.options.retry ?? { attempts: 1, backoffMs: 0 };
    const read = method === 'GET' || method === 'HEAD';
    const send = this.options.transport ?? fetchTransport;
    let res: HttpAnswer | undefined;
    for (let attempt = 1; ; attempt += 1) {
      const last = attempt >= attempts;
      try {
        res = await send(`${this.baseUrl}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          timeoutMs: this.options.timeoutMs ?? 30_000,
        });
      } catch (err) {
        const { cause, code } = err as { cause?: { code?: string }; code?: string };
        const reason = cause?.code ?? code ?? (err as Error).message;
        if (!last && (read || reason === 'ECONNREFUSED')) {
          await sleep(backoffMs * 2 ** (attempt - 1));
          continue;
        }
        throw new ApiError(
          0,
          'UNAVAILABLE',
          `cannot reach Dispatch at ${this.baseUrl} (${reason}); is it running? (npm start)`,
        );
      }
      if (last || !read || !RETRYABLE_STATUS.has(res.status)) break;
      await sleep(backoffMs * 2 ** (attempt - 1));
    }
    const parsed: unknown = res.text ? safeJson(res.text) : undefined;
    if (res.status < 200 || res.status > 299) throw toApiError(res.status, parsed, res.text);
    return parsed as T;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toApiError(status: number, body: unknown, text: string): ApiError {
  if (typeof body === 'object' && body !== null) {
    const { errorCode, message } = body as { errorCode?: unknown; message?: unknown };
    if (typeof message === 'string') {
      return new ApiError(status, isErrorCode(errorCode) ? errorCode : errorCodeOfStatus(status), message);
    }
  }
  return new ApiError(
    status,
    errorCodeOfStatus(status),
    `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`,
  );
}
