import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { v01NamesOf } from '@dispatch/contracts';
import { parseBody } from '../http-input.js';

/**
 * `@Body(new ValidBody(schema, 'base image'))`: the request body checked against its schema at the
 * edge, so the service is handed a typed value; a bad body is 400 naming the field and the problem.
 * `names`: the v0.1 names of its fields, the schema's own unless given (a derived schema has none).
 */
export class ValidBody<T> implements PipeTransform<unknown, T> {
  constructor(
    private readonly schema: z.ZodType<T>,
    private readonly what: string,
    private readonly names = v01NamesOf(schema),
  ) {}

  transform(body: unknown): T {
    return parseBody(this.schema, body, this.what, this.names);
  }
}
