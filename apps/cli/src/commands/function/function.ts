import { readFileSync } from 'node:fs';
import { packSource, type DispatchClient } from '@dispatch/api-client';
import { DomainError, type DispatchFunction } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print, statusOf, when } from '../../print.js';
import { waitUntilSettled } from '../../wait.js';

export interface FunctionFlags {
  image?: string;
  handler?: string;
  schemaIn?: string;
  schemaOut?: string;
  secret?: string[];
  timeout?: string;
  wait?: boolean;
}

function readSchema(path: string | undefined, which: string): Record<string, unknown> | undefined {
  if (!path) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `cannot read the ${which} schema file ${path}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `the ${which} schema file ${path} is not JSON: ${(err as Error).message}`,
    );
  }
}

export async function functionBody(name: string, source: string, flags: FunctionFlags) {
  if (!flags.image)
    throw new DomainError('INVALID_ARGUMENT', '--image is required: the image the function runs on');
  const timeout = flags.timeout === undefined ? undefined : Number(flags.timeout);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout <= 0)) {
    throw new DomainError('INVALID_ARGUMENT', `--timeout must be whole milliseconds, got '${flags.timeout}'`);
  }
  const schemaIn = readSchema(flags.schemaIn, 'input');
  const schemaOut = readSchema(flags.schemaOut, 'output');
  return {
    name,
    image: flags.image,
    handler: flags.handler,
    source: await packSource(source),
    schema: schemaIn || schemaOut ? { in: schemaIn, out: schemaOut } : undefined,
    secrets: flags.secret,
    timeout,
  };
}

async function settle(
  client: DispatchClient,
  fn: DispatchFunction,
  wait: boolean | undefined,
): Promise<DispatchFunction> {
  return wait ? waitUntilSettled(() => client.functions.get(fn.name), 'function') : fn;
}

export async function createFunction(
  name: string,
  source: string,
  flags: FunctionFlags,
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor(global);
  const fn = await settle(
    client,
    await client.functions.create(await functionBody(name, source, flags)),
    flags.wait,
  );
  console.log(`Created function: ${fn.name}`);
}

export async function updateFunction(
  name: string,
  source: string,
  flags: FunctionFlags,
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor(global);
  const current = await client.functions.get(name);
  const body = await functionBody(name, source, { ...flags, image: flags.image ?? current.image });
  const fn = await settle(client, await client.functions.update(name, body), flags.wait);
  console.log(`Updated function: ${fn.name}`);
}

export async function getFunctions(name: string | undefined, global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  const list: DispatchFunction[] = name ? [await client.functions.get(name)] : await client.functions.list();
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'IMAGE', 'HANDLER', 'STATUS', 'CREATED'],
    ...list.map((f) => [f.name, f.image, f.handler ?? '', statusOf(f), when(f.createdTime)]),
  ]);
}

export async function deleteFunction(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).functions.delete(name);
  console.log(`Deleted function: ${name}`);
}
