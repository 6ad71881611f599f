import { readFileSync } from 'node:fs';
import { DomainError, type Secret, type SecretValues } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print, when } from '../../print.js';

/** A secrets file: a JSON object of names to string values, as the original CLI read it. */
export function readSecretValues(file: string): SecretValues {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `cannot read ${file}`);
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `${file} is not valid JSON`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw new DomainError('INVALID_ARGUMENT', `${file} must hold a JSON object of names to values`);
  return values as SecretValues;
}

export async function createSecret(name: string, file: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).secrets.create({ name, secrets: readSecretValues(file) });
  console.log(`Created secret: ${name}`);
}

export async function updateSecret(name: string, file: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).secrets.update(name, { secrets: readSecretValues(file) });
  console.log(`Updated secret: ${name}`);
}

/** Values stay hidden, in every output format, unless asked for: a terminal is often shared or recorded. */
export async function getSecrets(
  name: string | undefined,
  options: { showValues?: boolean },
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor(global);
  const list: Secret[] = name ? [await client.secrets.get(name)] : await client.secrets.list();
  const shown = options.showValues ? list : list.map(hidden);
  print(outputFormat(global), name ? shown[0] : shown, () => [
    ['NAME', options.showValues ? 'VALUES' : 'KEYS', 'CREATED'],
    ...shown.map((s) => [
      s.name,
      options.showValues
        ? Object.entries(s.secrets)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')
        : Object.keys(s.secrets).join(', '),
      when(s.createdTime),
    ]),
  ]);
}

export async function deleteSecret(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).secrets.delete(name);
  console.log(`Deleted secret: ${name}`);
}

function hidden(secret: Secret): Secret {
  return {
    ...secret,
    secrets: Object.fromEntries(Object.keys(secret.secrets).map((k) => [k, '<hidden: --show-values>'])),
  };
}
