import type { BaseImage, ImageLanguage } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print, statusOf, when } from '../../print.js';
import { waitUntilSettled } from '../../wait.js';

export async function createBaseImage(
  name: string,
  imageURL: string,
  options: { language: string; wait?: boolean },
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor(global);
  // As typed: the API refuses another language, naming the ones there are.
  const language = options.language as ImageLanguage;
  let created = await client.baseImages.create({ name, imageURL, language });
  if (options.wait) created = await waitUntilSettled(() => client.baseImages.get(name), 'base image');
  console.log(`Created base image: ${created.name}`);
}

export async function getBaseImages(name: string | undefined, global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  const list: BaseImage[] = name ? [await client.baseImages.get(name)] : await client.baseImages.list();
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'URL', 'LANGUAGE', 'STATUS', 'CREATED'],
    ...list.map((b) => [b.name, b.imageURL, b.language, statusOf(b), when(b.createdTime)]),
  ]);
}

export async function deleteBaseImage(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).baseImages.delete(name);
  console.log(`Deleted base image: ${name}`);
}
