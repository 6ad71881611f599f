import { readFileSync } from 'node:fs';
import type { BaseImage, Image } from '@dispatch/contracts';
import { DomainError, IMAGE_LANGUAGES } from '@dispatch/contracts';
import type { DispatchClient } from '@dispatch/api-client';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print, statusOf, when } from '../../print.js';
import { waitUntilSettled } from '../../wait.js';

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `cannot read the ${what} file ${path}`);
  }
}

/**
 * As the original CLI: the base image is a base image's name, or a container image URL for which a
 * base image is found (same URL) or created, its language read from the URL.
 */
export async function resolveBaseImage(client: DispatchClient, nameOrUrl: string): Promise<string> {
  if (!/[/:]/.test(nameOrUrl)) return nameOrUrl;
  const existing = (await client.baseImages.list()).find((b: BaseImage) => b.imageURL === nameOrUrl);
  if (existing) return existing.name;
  const language = IMAGE_LANGUAGES.find((l) => nameOrUrl.includes(l));
  if (!language) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `cannot tell the language of ${nameOrUrl}: create a base image with --language first`,
    );
  }
  const repo = nameOrUrl.split('/').pop() ?? nameOrUrl;
  const name = repo.replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '');
  await client.baseImages.create({ name, imageURL: nameOrUrl, language });
  return name;
}

export async function createImage(
  name: string,
  baseImage: string,
  options: { runtimeDeps?: string; systemDeps?: string; wait?: boolean },
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor(global);
  const body = {
    name,
    baseImage: await resolveBaseImage(client, baseImage),
    runtimeDependencies: options.runtimeDeps
      ? { manifest: readText(options.runtimeDeps, 'runtime dependencies') }
      : undefined,
    systemDependencies: options.systemDeps
      ? { packages: parsePackages(readText(options.systemDeps, 'system dependencies')) }
      : undefined,
  };
  let image = await client.images.create(body);
  if (options.wait) image = await waitUntilSettled(() => client.images.get(name), 'image');
  console.log(`Created image: ${image.name}`);
}

/** A system dependencies file: one package a line, `name` or `name=version`. */
function parsePackages(text: string): { name: string; version?: string }[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [pkg, version] = l.split('=');
      return { name: (pkg ?? '').trim(), ...(version ? { version: version.trim() } : {}) };
    });
}

export async function getImages(name: string | undefined, global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  const list: Image[] = name ? [await client.images.get(name)] : await client.images.list();
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'BASE IMAGE', 'LANGUAGE', 'STATUS', 'CREATED'],
    ...list.map((i) => [i.name, i.baseImage, i.language ?? '', statusOf(i), when(i.createdTime)]),
  ]);
}

export async function deleteImage(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).images.delete(name);
  console.log(`Deleted image: ${name}`);
}
