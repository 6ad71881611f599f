import { DomainError } from '@dispatch/contracts';

/**
 * Where a run's secrets come from: the names a function lists plus those named at exec time, resolved
 * to their values for `context.secrets`. The secrets domain provides the real one; until it exists the
 * default knows no secret, so naming one fails the run clearly rather than handing over nothing.
 */
export interface SecretsResolver {
  resolve(org: string, project: string, names: string[]): Promise<Record<string, unknown>>;
}

export const SECRETS_RESOLVER = Symbol.for('dispatch.secrets-resolver');

export class NoSecretsResolver implements SecretsResolver {
  async resolve(org: string, project: string, names: string[]): Promise<Record<string, unknown>> {
    const [first] = names;
    if (first !== undefined)
      throw new DomainError('NOT_FOUND', `secret ${first} not found in ${org}/${project}`);
    return {};
  }
}
