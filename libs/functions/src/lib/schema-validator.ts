import { Injectable } from '@nestjs/common';
import { Ajv, type ValidateFunction } from 'ajv';
import { DomainError } from '@dispatch/contracts';

/**
 * JSON-schema checks of a function's input and output (ajv). Compiled validators are cached by the
 * schema's text, so a warm function pays only for the check itself.
 */
@Injectable()
export class SchemaValidator {
  private readonly ajv = new Ajv({ allErrors: false, strict: false });
  private readonly cache = new Map<string, ValidateFunction>();

  /** Refuses a schema that does not compile, naming which one. */
  check(schema: Record<string, unknown>, what: string): void {
    try {
      this.compile(schema);
    } catch (err) {
      throw new DomainError(
        'INVALID_ARGUMENT',
        `${what} is not a valid JSON schema: ${(err as Error).message}`,
      );
    }
  }

  /** Undefined when `value` matches, else what is wrong with it. */
  problem(schema: Record<string, unknown>, value: unknown): string | undefined {
    const validate = this.compile(schema);
    if (validate(value)) return undefined;
    const error = validate.errors?.[0];
    if (!error) return 'does not match the schema';
    const where = error.instancePath ? `${error.instancePath} ` : '';
    return `${where}${error.message ?? 'does not match the schema'}`;
  }

  private compile(schema: Record<string, unknown>): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.cache.set(key, validate);
    }
    return validate;
  }
}
