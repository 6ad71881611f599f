import { ApiError } from '@dispatch/api-client';
import type { ImageLanguage } from '@dispatch/contracts';
import { clientFor, type GlobalOptions } from '../../global-options.js';
import { waitUntilSettled } from '../../wait.js';

/** The images the original Dispatch seeded: one base image and one image per language. */
const SEEDS: { language: ImageLanguage; url: string }[] = [
  { language: 'nodejs', url: 'dispatchframework/nodejs-base:0.0.13-knative' },
  { language: 'python3', url: 'dispatchframework/python3-base:0.0.13-knative' },
  { language: 'java', url: 'dispatchframework/java-base:0.0.13-knative' },
];

async function ignoreExisting(create: () => Promise<unknown>): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'ALREADY_EXISTS') return false;
    throw err;
  }
}

/** `dispatch create seed-images`: creates what is missing, leaves what exists, waits for READY. */
export async function createSeedImages(global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  for (const { language, url } of SEEDS) {
    const base = `${language}-base`;
    if (await ignoreExisting(() => client.baseImages.create({ name: base, imageURL: url, language }))) {
      console.log(`Created base image: ${base}`);
    }
    if (await ignoreExisting(() => client.images.create({ name: language, baseImage: base }))) {
      console.log(`Created image: ${language}`);
    }
  }
  for (const { language } of SEEDS) await waitUntilSettled(() => client.images.get(language), 'image');
}
