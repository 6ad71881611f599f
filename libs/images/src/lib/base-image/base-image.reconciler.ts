import { Inject, Injectable } from '@nestjs/common';
import { BASE_IMAGE_KIND, type BaseImageSpec, type Entity, type ImageLanguage } from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { EntityReconciler } from '@dispatch/platform';
import { runCommand } from '../image/run-command.js';

/** What a language needs on this host, checked once per process. */
const toolchains: Record<ImageLanguage, [string, string[]][]> = {
  nodejs: [[process.execPath, ['--version']]],
  python3: [['python3', ['-c', 'import venv, ensurepip']]],
  java: [
    ['java', ['-version']],
    ['mvn', ['-v']],
  ],
};

/** Makes a base image READY when this host can run its language, ERROR naming what is missing. */
@Injectable()
export class BaseImageReconciler extends EntityReconciler<BaseImageSpec> {
  private readonly checked = new Map<ImageLanguage, Promise<string | undefined>>();

  constructor(@Inject(ENTITY_STORE) private readonly store: EntityStore) {
    super(store, BASE_IMAGE_KIND);
  }

  protected async reconcile(entity: Entity<BaseImageSpec>): Promise<void> {
    if (entity.status === 'DELETING') {
      await this.store.delete(entity, { revision: entity.revision });
      return;
    }
    const missing = await this.missingToolchain(entity.spec.language);
    await this.store.update({
      ...entity,
      status: missing ? 'ERROR' : 'READY',
      reason: missing ? [missing] : [],
    });
  }

  private missingToolchain(language: ImageLanguage): Promise<string | undefined> {
    let check = this.checked.get(language);
    if (!check) {
      check = (async () => {
        for (const [file, args] of toolchains[language]) {
          const res = await runCommand(file, args, { timeoutMs: 30_000 });
          if (!res.ok)
            return `${language} cannot run on this host: ${file} ${args.join(' ')} failed (${res.output.split('\n')[0]})`;
        }
        return undefined;
      })();
      this.checked.set(language, check);
    }
    return check;
  }
}
