import type { ServerResponse } from 'node:http';
import { DomainError, errorCodeOfStatus, httpStatusOf, type ErrorCode, type Run } from '@dispatch/contracts';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const JSON_TYPE = 'application/json';
/** Headers a function may not set: the server owns the framing of the response. */
const FRAMING = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade']);
const WEB_RESPONSE_KEYS = new Set(['statusCode', 'headers', 'body', 'isBase64Encoded']);

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(value ?? null) };
}

/** `{code, errorCode, message}` as every Dispatch API answers an error. */
export function errorReply(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): Reply {
  const status = httpStatusOf(code);
  return jsonReply(status, { code: status, errorCode: code, message, ...extra });
}

export function errorReplyOf(err: unknown): Reply {
  if (err instanceof DomainError) return errorReply(err.code, err.message);
  return errorReply(errorCodeOfStatus(500), 'internal error; the server log has the details');
}

/**
 * A finished run as the HTTP response: the function's payload as JSON, or, when the payload is a web
 * response (`{statusCode, headers?, body?}`, the convention of AWS Lambda proxies and OpenWhisk web
 * actions), that status, those headers and that body. A failed run maps to a status by its error type,
 * with the message but never the stack (the run keeps that).
 */
export function runReply(run: Run): Reply {
  if (run.error) {
    const { type, message } = run.error;
    const code: ErrorCode =
      type === 'InputError'
        ? 'INVALID_ARGUMENT'
        : type === 'FunctionError'
          ? 'FUNCTION_FAILED'
          : /did not finish within/.test(message)
            ? 'DEADLINE_EXCEEDED'
            : 'INTERNAL';
    return errorReply(code, `function ${run.functionName} failed: ${message}`, {
      error: { type, message },
      run: run.name,
    });
  }
  const payload = run.output;
  if (!isWebResponse(payload)) return jsonReply(200, payload);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload.headers ?? {})) {
    if (!FRAMING.has(name.toLowerCase()) && value !== undefined) headers[name.toLowerCase()] = String(value);
  }
  const { body } = payload;
  if (typeof body === 'string') {
    headers['content-type'] ??= 'text/plain; charset=utf-8';
    return {
      status: payload.statusCode,
      headers,
      body: payload.isBase64Encoded ? Buffer.from(body, 'base64') : body,
    };
  }
  if (body === undefined) return { status: payload.statusCode, headers, body: '' };
  headers['content-type'] ??= JSON_TYPE;
  return { status: payload.statusCode, headers, body: JSON.stringify(body) };
}

interface WebResponse {
  statusCode: number;
  headers?: Record<string, unknown>;
  body?: unknown;
  isBase64Encoded?: boolean;
}

function isWebResponse(value: unknown): value is WebResponse {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { statusCode, headers } = value as Record<string, unknown>;
  return (
    Number.isInteger(statusCode) &&
    (statusCode as number) >= 100 &&
    (statusCode as number) <= 599 &&
    (headers === undefined || (typeof headers === 'object' && headers !== null)) &&
    Object.keys(value).every((k) => WEB_RESPONSE_KEYS.has(k))
  );
}

export function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, reply.headers).end(reply.body);
}
