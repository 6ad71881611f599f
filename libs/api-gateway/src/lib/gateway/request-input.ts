import type { IncomingMessage } from 'node:http';
import { Busboy, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import { DomainError } from '@dispatch/contracts';
import { parseJson } from '@dispatch/platform';

/** The largest request body the gateway takes, as the API's own limit. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

type Fields = Record<string, string | string[]>;

/** `a=1&a=2&b=3` as `{a: ['1', '2'], b: '3'}`: a repeated name becomes a list, as most frameworks do. */
export function fieldsOf(params: URLSearchParams): Fields {
  const out: Fields = {};
  for (const [key, value] of params) {
    const seen = out[key];
    out[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

/** Past this much, a refused body is cut off rather than read to its end. */
const DRAIN_LIMIT = 4 * MAX_BODY_BYTES;

/**
 * Reads the whole body, refusing (413) past the limit. A refused body is still read to its end (without
 * keeping it), so the client, still sending, receives the 413 instead of a broken connection; one that
 * goes on past four times the limit is cut off.
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let refused = Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) refused = true;
      if (size > DRAIN_LIMIT) req.destroy();
      if (!refused) chunks.push(chunk);
    });
    req.on('end', () => {
      settled = true;
      if (refused) reject(tooLarge());
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      settled = true;
      reject(err);
    });
    // Cut off (or the client gone): settle rather than wait for an end that will not come. Only then:
    // an error costs a stack trace, and every request closes.
    req.on('close', () => {
      if (!settled) reject(refused ? tooLarge() : new Error('the client went away'));
    });
  });
}

/**
 * The function's input for a request, as the original Dispatch gateway made it: the query for a request
 * without a body; otherwise the body, parsed by its content type (JSON, a urlencoded form, or a
 * multipart form whose files arrive as `{filename, contentType, content}` with base64 content).
 */
export async function inputOf(req: IncomingMessage, body: Buffer, query: URLSearchParams): Promise<unknown> {
  if (body.length === 0) return query.size > 0 ? fieldsOf(query) : null;
  const header = req.headers['content-type'];
  if (!header) {
    throw new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      'the request has a body but no Content-Type: send application/json, application/x-www-form-urlencoded or multipart/form-data',
    );
  }
  const type = header.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || type.endsWith('+json')) {
    return parseJson(body.toString('utf8'));
  }
  if (type === 'application/x-www-form-urlencoded')
    return fieldsOf(new URLSearchParams(body.toString('utf8')));
  if (type === 'multipart/form-data') return multipart(req, body);
  throw new DomainError(
    'UNSUPPORTED_MEDIA_TYPE',
    `unsupported content type ${type}: send application/json, application/x-www-form-urlencoded or multipart/form-data`,
  );
}

interface UploadedFile {
  filename: string;
  contentType: string;
  content: string;
}

function multipart(req: IncomingMessage, body: Buffer): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const out: Record<string, unknown> = {};
    const add = (name: string, value: string | UploadedFile) => {
      const seen = out[name];
      out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    };
    let parser: BusboyInstance;
    try {
      parser = new Busboy({
        headers: req.headers as BusboyHeaders,
        limits: { fileSize: MAX_BODY_BYTES },
      });
    } catch (err) {
      reject(
        new DomainError('INVALID_ARGUMENT', `the multipart body cannot be read: ${(err as Error).message}`),
      );
      return;
    }
    parser.on('field', (name: string, value: string) => add(name, value));
    parser.on(
      'file',
      (name: string, file: NodeJS.ReadableStream, filename: string, _enc: string, mime: string) => {
        const parts: Buffer[] = [];
        file.on('data', (d: Buffer) => parts.push(d));
        file.on('end', () =>
          add(name, { filename, contentType: mime, content: Buffer.concat(parts).toString('base64') }),
        );
      },
    );
    parser.on('finish', () => resolve(out));
    parser.on('error', (err: Error) =>
      reject(new DomainError('INVALID_ARGUMENT', `the multipart body cannot be read: ${err.message}`)),
    );
    parser.end(body);
  });
}

function tooLarge(): DomainError {
  return new DomainError(
    'PAYLOAD_TOO_LARGE',
    `the request body is over the ${MAX_BODY_BYTES / 1024 / 1024} MB limit`,
  );
}
