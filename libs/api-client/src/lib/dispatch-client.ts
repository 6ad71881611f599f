import {
  DEFAULT_ORG,
  DEFAULT_PROJECT,
  DomainError,
  errorCodeOfStatus,
  isErrorCode,
  type ErrorCode,
  type VersionInfo,
} from '@dispatch/contracts';

export interface ClientOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  org?: string;
  project?: string;
  token?: string;
  /** Per-request deadline. */
  timeoutMs?: number;
}

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

/**
 * The typed HTTP client of the Dispatch API, used by the CLI, the UI and the tests. It sends the
 * org/project headers of the upstream API and turns error bodies into ApiErrors.
 */
export class DispatchClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  version(): Promise<VersionInfo> {
    return this.request<VersionInfo>('GET', '/v1/version');
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-dispatch-org': this.options.org ?? DEFAULT_ORG,
      'x-dispatch-project': this.options.project ?? DEFAULT_PROJECT,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers['authorization'] = `Bearer ${this.options.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ApiError(
        0,
        'UNAVAILABLE',
        `cannot reach Dispatch at ${this.baseUrl} (${reason}); is it running? (npm start)`,
      );
    }
    const text = await res.text();
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (!res.ok) throw toApiError(res.status, parsed, text);
    return parsed as T;
  }
}

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
