import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

/** The two lines of the original API: its last full release, and the knative line after it. */
export type Line = 'v0.1' | 'knative';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The original Swagger files, kept with the suites (e2e/upstream-api/README.md). */
const SPECS = join(HERE, '..', 'upstream-api');

interface SwaggerSchema {
  $ref?: string;
  type?: string;
  items?: SwaggerSchema;
  properties?: Record<string, SwaggerSchema>;
  additionalProperties?: SwaggerSchema;
  required?: string[];
  readOnly?: boolean;
}

/** One operation of a Swagger file: its full path template and the models it takes and answers. */
export interface Operation {
  method: string;
  /** e.g. `/v1/baseimage/{baseImageName}`. */
  path: string;
  operationId: string;
  /** The model of its body, if it takes one. */
  body?: string;
  /** The model of its success answer, and whether it is a list of them. */
  answer?: { model: string; list: boolean };
}

const modelOf = (schema: SwaggerSchema | undefined): string | undefined =>
  schema?.$ref?.replace(/^.*#\/definitions\//, '');

/**
 * A line of the original API as its Swagger files describe it: its operations, a body shaped as its Go
 * clients (go-swagger's) send one, and the problems of an answer against its models.
 */
export class UpstreamApi {
  readonly operations: Operation[] = [];
  private readonly definitions: Record<string, SwaggerSchema>;
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  private readonly checks = new Map<string, ValidateFunction>();

  constructor(readonly line: Line) {
    const dir = join(SPECS, line);
    const models = JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as {
      definitions: Record<string, SwaggerSchema>;
    };
    // Go's json.RawMessage is any JSON value (it encodes itself); go-swagger wrote it down as the bytes
    // it holds, a list of integers, which no client ever sends or reads.
    if (models.definitions['RawMessage']) models.definitions['RawMessage'] = {};
    // Go's interface{} likewise: a map[string]interface{} (a run's httpContext, an event's extensions)
    // holds any values, though go-swagger wrote its values down as objects.
    for (const definition of Object.values(models.definitions))
      for (const field of Object.values(definition.properties ?? {}))
        if (field.type === 'object' && field.additionalProperties?.type === 'object')
          field.additionalProperties = {};
    this.definitions = models.definitions;
    this.ajv.addSchema(models, 'models');
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      const spec = parse(readFileSync(join(dir, file), 'utf8')) as {
        basePath: string;
        paths: Record<string, Record<string, unknown>>;
      };
      for (const [path, item] of Object.entries(spec.paths)) {
        for (const [method, op] of Object.entries(item)) {
          if (method === 'parameters') continue;
          const operation = op as {
            operationId: string;
            parameters?: { in: string; schema?: SwaggerSchema }[];
            responses: Record<string, { schema?: SwaggerSchema }>;
          };
          const body = operation.parameters?.find((p) => p.in === 'body')?.schema;
          const success = Object.entries(operation.responses).find(([code]) => /^2/.test(code))?.[1]?.schema;
          const answerModel = modelOf(success?.type === 'array' ? success.items : success);
          this.operations.push({
            method: method.toUpperCase(),
            path: `${spec.basePath.replace(/\/$/, '')}${path === '/' ? '' : path}` || '/',
            operationId: operation.operationId,
            body: modelOf(body),
            answer: answerModel ? { model: answerModel, list: success?.type === 'array' } : undefined,
          });
        }
      }
    }
  }

  /**
   * A body as a go-swagger client sends `model`: the fields given, and every other field the model has
   * that is a list or an object as `null` (Go's nil slices and pointers), scalars left out.
   */
  goBody(model: string, given: Record<string, unknown>): Record<string, unknown> {
    const definition = this.definition(model);
    const body: Record<string, unknown> = {};
    for (const [field, schema] of Object.entries(definition.properties ?? {})) {
      if (field in given) body[field] = given[field];
      else if (!schema.readOnly && (schema.type === 'array' || schema.type === 'object' || schema.$ref))
        body[field] = null;
    }
    return { ...body, ...given };
  }

  /**
   * What an answer lacks or has of the wrong type, against `model` (every item, for a list). A null is
   * read as Go reads it, as nothing: absent where the field may be, missing where it is required.
   */
  problems(model: string, answer: unknown, list = false): string[] {
    const value = withoutNulls(answer);
    let check = this.checks.get(model);
    if (!check) {
      this.definition(model);
      check = this.ajv.compile({ $ref: `models#/definitions/${model}` });
      this.checks.set(model, check);
    }
    const items = list ? (Array.isArray(value) ? value : [value]) : [value];
    if (list && !Array.isArray(value)) return [`the answer is not a list of ${model}`];
    return items.flatMap((item, i) =>
      check(item)
        ? []
        : (check.errors ?? []).map(
            (e) =>
              `${model}${list ? `[${i}]` : ''}${e.instancePath} ${e.message ?? 'is not as the model says'}`,
          ),
    );
  }

  private definition(model: string): SwaggerSchema {
    const definition = this.definitions[model];
    if (!definition) throw new Error(`the ${this.line} models have no ${model}`);
    return definition;
  }
}

/** A JSON value without its null fields and items, as a Go client's decoder leaves them (zero values). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}
