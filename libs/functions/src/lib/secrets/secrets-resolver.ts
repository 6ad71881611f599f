import { DomainError, type SecretsResolver, type SecretValues } from '@dispatch/contracts';

/**
 * The resolver when no secrets domain is present in this process: it knows no secret, so naming one
 * fails the run clearly rather than handing over nothing.
 */
export class NoSecretsResolver implements SecretsResolver {
  async resolve(org: string, project: string, names: string[]): Promise<SecretValues> {
    const [first] = names;
    if (first !== undefined)
      throw new DomainError('NOT_FOUND', `secret ${first} not found in ${org}/${project}`);
    return {};
  }
}
