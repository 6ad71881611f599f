import { createHash } from 'node:crypto';
import type { AccessControl } from '@dispatch/auth';
import {
  BASE_IMAGE_KIND,
  DomainError,
  IMAGE_LANGUAGES,
  type BaseImageSpec,
  type Caller,
  type ImageLanguage,
} from '@dispatch/contracts';
import type { KindRepository, RequestScope } from '@dispatch/platform';

/** Words in a repository's name that say which language runs in it, per language. */
const LANGUAGE_WORDS: Readonly<Record<ImageLanguage, RegExp>> = {
  nodejs: /node/,
  python3: /python/,
  java: /java|jdk|jre/,
};
const NAME_MAX = 50;

/**
 * The base image for a container image reference, as the knative CLI's `create image NAME <image URL>`
 * asks for one: the base image of that URL in the project if there is one, else a new one, with the
 * language its repository's name says (`dispatchframework/nodejs-base:0.0.13` is nodejs). Making one is
 * creating a base image, so the caller needs the policies' leave to, as `create base-image` would.
 */
export class BaseImageFromUrl {
  constructor(
    private readonly baseImages: KindRepository<BaseImageSpec>,
    private readonly access?: AccessControl,
  ) {}

  async nameFor(scope: RequestScope, url: string, caller?: Caller): Promise<string> {
    const existing = (await this.baseImages.list(scope)).find((b) => b.spec.imageURL === url);
    if (existing) return existing.name;
    const language = languageOf(url);
    if (caller && this.access && !this.access.allows(caller, scope.org, BASE_IMAGE_KIND, 'create'))
      throw new DomainError(
        'FORBIDDEN',
        `${caller.subjects[0] ?? 'anonymous'} may not create base images in organization ${scope.org}, and no base image of ${url} is there: ask for one, or name an existing base image`,
      );
    const plain = nameOf(url);
    const taken = await this.baseImages.find(scope, plain);
    const name = taken ? `${plain.slice(0, NAME_MAX - 9)}-${hashOf(url)}` : plain;
    try {
      await this.baseImages.create(scope, { name }, { imageURL: url, language });
    } catch (err) {
      // Two images of one URL made at once: the other call made it.
      const made = err instanceof DomainError && err.code === 'ALREADY_EXISTS';
      if (!made || (await this.baseImages.find(scope, name))?.spec.imageURL !== url) throw err;
    }
    return name;
  }
}

/** The language a container image's repository names, e.g. nodejs for `.../nodejs-base:0.0.13`. */
function languageOf(url: string): ImageLanguage {
  const repository =
    url
      .replace(/@.*$/, '')
      .replace(/:[^/]*$/, '')
      .split('/')
      .pop() ?? '';
  const named = IMAGE_LANGUAGES.filter((language) => LANGUAGE_WORDS[language].test(repository));
  if (named.length === 1) return named[0] as ImageLanguage;
  throw new DomainError(
    'INVALID_ARGUMENT',
    `the language of image ${url} is not in its name: create a base image for it with its language ` +
      `(dispatch create base-image NAME ${url} --language ${IMAGE_LANGUAGES.join('|')}) and name that`,
  );
}

/** A base image name from a reference: its repository's last part and its tag, e.g. nodejs-base-0-0-13. */
function nameOf(url: string): string {
  const last = url.replace(/@.*$/, '').split('/').pop() ?? '';
  const name = last
    .replace(/[^\w-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, NAME_MAX)
    .replace(/[-_]+$/, '');
  return name || 'base';
}

function hashOf(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 8);
}
