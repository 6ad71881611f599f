import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import {
  DomainError,
  FUNCTION_KIND,
  IMAGE_KIND,
  type Entity,
  type FunctionSpec,
  type ImageSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { MESSAGE_BUS, type MessageBus } from '@dispatch/messaging';
import {
  allocateSandboxUid,
  domainEventType,
  ensurePrivateDir,
  EntityReconciler,
  onDomainEvents,
  type LastingSubscription,
} from '@dispatch/platform';
import { compileFunction, LANGUAGES, type Language, type FunctionRuntime } from '@dispatch/runtime';
import { FUNCTIONS_CONFIG, type FunctionsConfig } from '../functions.config.js';
import { RUN_JOURNAL, type RunJournal } from '../journal/run-journal.js';
import { FunctionCatalog } from './function.catalog.js';
import { FUNCTION_RUNTIME } from '../runtime.provider.js';
import { inferHandler, unpackSource } from './source.js';

export function functionRoot(
  config: FunctionsConfig,
  fn: { org: string; project: string; name: string },
): string {
  return join(config.dataDir, 'functions', fn.org, fn.project, fn.name);
}

/**
 * Prepares functions: waits for the image, unpacks the code into a directory of this revision, settles
 * the handler (inferred for a single file) and loads it in a runner to prove it exists. READY points
 * `backingObject` at the new version; the old version's processes finish their runs and stop. A handler
 * that does not load ends in ERROR with the runner's reason. Deleting stops the processes and removes
 * the code and the runs.
 */
@Injectable()
export class FunctionReconciler extends EntityReconciler<FunctionSpec> {
  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Inject(FUNCTIONS_CONFIG) private readonly config: FunctionsConfig,
    @Inject(FUNCTION_RUNTIME) private readonly runtime: FunctionRuntime,
    @Inject(RUN_JOURNAL) private readonly journal: RunJournal,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly catalog: FunctionCatalog,
  ) {
    super(store, FUNCTION_KIND);
  }

  private imageWatch?: LastingSubscription;

  /**
   * Also reacts to the images service: when an image is READY (or in ERROR), the functions waiting for
   * it are reconciled at once instead of at their next retry.
   */
  override async onApplicationBootstrap(): Promise<void> {
    await super.onApplicationBootstrap();
    // Not awaited: while the bus is away the retry is enough, and the service must start meanwhile.
    this.imageWatch = onDomainEvents(
      this.bus,
      [domainEventType(IMAGE_KIND, 'updated')],
      'functions.image-ready',
      async (image) => {
        if (image.status !== 'READY' && image.status !== 'ERROR') return;
        const waiting = await this.store.list<FunctionSpec>({
          org: image.org,
          project: image.project,
          kind: FUNCTION_KIND,
        });
        await Promise.all(waiting.filter((fn) => fn.spec.image === image.name).map((fn) => this.nudge(fn)));
      },
    );
  }

  override async onApplicationShutdown(): Promise<void> {
    await this.imageWatch?.close();
    await super.onApplicationShutdown();
  }

  protected async reconcile(fn: Entity<FunctionSpec>): Promise<void | number> {
    if (fn.status === 'DELETING') return this.remove(fn);
    let image: Entity<ImageSpec>;
    try {
      image = await this.store.get<ImageSpec>({ ...fn, kind: IMAGE_KIND, name: fn.spec.image });
    } catch {
      return this.fail(fn, `image ${fn.spec.image} not found`);
    }
    if (image.status === 'ERROR')
      return this.fail(fn, `image ${image.name} is in ERROR: ${image.reason.join('; ')}`);
    // The image's READY event nudges this function (see onApplicationBootstrap); the retry is a backstop.
    if (image.status !== 'READY') return this.config.imageRetryMs ?? 2000;
    const language = image.spec.language;
    if (!language || !(LANGUAGES as readonly string[]).includes(language)) {
      return this.fail(fn, `image ${image.name} has no language this platform runs`);
    }

    const codeDir = join(functionRoot(this.config, fn), String(fn.revision), 'code');
    await ensurePrivateDir(join(this.config.dataDir, 'functions'));
    try {
      await unpackSource(fn.spec.source ?? '', codeDir);
    } catch (err) {
      return this.fail(fn, (err as Error).message);
    }
    const handler = fn.spec.handler ?? (await inferHandler(language, codeDir));
    if (!handler) {
      return this.fail(
        fn,
        'no handler given and the source is not a single file: name the handler (--handler)',
      );
    }
    // The function's own host user, kept across its versions and restarts (see allocateSandboxUid).
    const uid = fn.spec.backingObject?.uid ?? (await allocateSandboxUid(this.store));
    const compileError = await compileFunction(
      language as Language,
      codeDir,
      image.spec.backingObject?.dir,
      uid,
    );
    if (compileError) return this.fail(fn, compileError);
    const identity = `${fn.org}/${fn.project}/${fn.name}`;
    const key = `${identity}@${fn.revision}`;
    const spec = {
      key,
      identity,
      language: language as Language,
      codeDir,
      handler,
      dependenciesDir: image.spec.backingObject?.dir,
      uid,
    };
    try {
      await this.runtime.prepare(spec);
    } catch (err) {
      return this.fail(
        fn,
        err instanceof DomainError ? err.message : `preparing failed: ${(err as Error).message}`,
      );
    }
    const previous = fn.spec.backingObject;
    const ready = await this.store.update<FunctionSpec>({
      ...fn,
      spec: {
        ...fn.spec,
        handler,
        functionImageURL: image.spec.imageURL,
        backingObject: { key, codeDir, handler, language, dependenciesDir: spec.dependenciesDir, uid },
      },
      status: 'READY',
      reason: [],
    });
    this.catalog.remember(ready);
    if (previous && previous.key !== key) {
      await this.runtime.retire(previous.key);
      await rm(join(previous.codeDir, '..'), { recursive: true, force: true });
    }
  }

  private async remove(fn: Entity<FunctionSpec>): Promise<void> {
    if (fn.spec.backingObject) await this.runtime.retire(fn.spec.backingObject.key);
    await rm(functionRoot(this.config, fn), { recursive: true, force: true });
    await this.journal.forget({ org: fn.org, project: fn.project }, fn.name);
    await this.store.delete(fn, { revision: fn.revision });
  }

  private async fail(fn: Entity<FunctionSpec>, reason: string): Promise<void> {
    await this.store.update<FunctionSpec>({ ...fn, status: 'ERROR', reason: [reason] });
  }
}
