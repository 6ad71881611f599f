import { Inject, Injectable } from '@nestjs/common';
import { DomainError, FUNCTION_KIND, runKind, type Run } from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import type { RequestScope } from '@dispatch/platform';
import { FUNCTIONS_CONFIG, type FunctionsConfig } from '../functions.config.js';

/** Runs kept per function unless configured otherwise. */
const DEFAULT_RETENTION = 100;

/**
 * Runs in the entity store, one kind per function (`run-<function>`) so a function's runs are one
 * prefix. Each function shows its newest runs up to the retention bound; older ones are deleted.
 */
@Injectable()
export class RunStore {
  private readonly writes = new Map<string, number>();

  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Inject(FUNCTIONS_CONFIG) private readonly config: FunctionsConfig,
  ) {}

  async save(scope: RequestScope, run: Run, replace = false): Promise<void> {
    const ref = { ...scope, kind: runKind(run.functionName), name: run.name };
    const spec = run as unknown as Record<string, unknown>;
    if (replace) {
      const current = await this.store.get(ref);
      await this.store.update({ ...ref, revision: current.revision, spec });
    } else {
      await this.store.create({ ...ref, spec });
      await this.trim(scope, run.functionName);
    }
  }

  async get(scope: RequestScope, functionName: string | undefined, name: string): Promise<Run> {
    if (functionName)
      return (await this.store.get<Run>({ ...scope, kind: runKind(functionName), name })).spec;
    // Without a function name, look through the functions of the project.
    for (const fn of await this.store.list({ ...scope, kind: FUNCTION_KIND })) {
      try {
        return (await this.store.get<Run>({ ...scope, kind: runKind(fn.name), name })).spec;
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'NOT_FOUND')) throw err;
      }
    }
    throw new DomainError('NOT_FOUND', `run ${name} not found in ${scope.org}/${scope.project}`);
  }

  async list(scope: RequestScope, functionName: string | undefined, since?: number): Promise<Run[]> {
    const names = functionName
      ? [functionName]
      : (await this.store.list({ ...scope, kind: FUNCTION_KIND })).map((f) => f.name);
    const stored = [];
    for (const name of names) {
      // Up to the bound per function, even between two trims.
      const runs = newestFirst(await this.store.list<Run>({ ...scope, kind: runKind(name) }));
      stored.push(...runs.slice(0, this.retention));
    }
    return newestFirst(stored)
      .filter((e) => since === undefined || e.spec.executedTime >= since)
      .map((e) => e.spec);
  }

  private get retention(): number {
    return this.config.runRetention ?? DEFAULT_RETENTION;
  }

  /**
   * Deletes a function's runs beyond the bound once every `retention` writes: listing them is the cost,
   * so it is paid once per bound's worth of runs rather than on each (the store holds at most twice the
   * bound; `list` shows only the bound).
   */
  private async trim(scope: RequestScope, functionName: string): Promise<void> {
    const key = `${scope.org}/${scope.project}/${functionName}`;
    const count = (this.writes.get(key) ?? 0) + 1;
    this.writes.set(key, count);
    if (count % this.retention !== 0) return;
    const runs = await this.store.list<Run>({ ...scope, kind: runKind(functionName) });
    const oldest = newestFirst(runs).slice(this.retention);
    // Together, so the store commits them as one batch.
    await Promise.all(oldest.map((run) => this.store.delete(run).catch(() => undefined)));
  }
}

/** Newest first: by executedTime, and within one second by the store's order of writes. */
function newestFirst<E extends { revision: number; spec: Run }>(runs: E[]): E[] {
  return runs.sort((a, b) => b.spec.executedTime - a.spec.executedTime || b.revision - a.revision);
}
