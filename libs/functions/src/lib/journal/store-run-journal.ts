import { DomainError, FUNCTION_KIND, runKind, type Run } from '@dispatch/contracts';
import type { EntityStore } from '@dispatch/entity-store';
import type { RequestScope } from '@dispatch/platform';
import { newestFirst, type RunJournal } from './run-journal.js';

/**
 * How long a run is kept whatever the bound: a caller that repeats a named call (an event redelivered
 * after the events service restarted) is answered by its run rather than running it again, however many
 * runs came since.
 */
const KEEP_RECENT_MS = 10 * 60_000;

/**
 * Runs as entities, one kind per function (`run-<function>`) so a function's runs are one prefix: what
 * the distributed shape uses, on etcd. Runs beyond the bound and older than `keepRecentMs` are deleted
 * once per `retention` writes (listing them is the cost), so the store holds the bound plus the recent
 * runs, and `list` shows the bound.
 */
export class StoreRunJournal implements RunJournal {
  private readonly writes = new Map<string, number>();

  constructor(
    private readonly store: EntityStore,
    private readonly retention: number,
    private readonly keepRecentMs = KEEP_RECENT_MS,
  ) {}

  async save(scope: RequestScope, run: Run): Promise<void> {
    const ref = { ...scope, kind: runKind(run.functionName), name: run.name };
    const spec = run as unknown as Record<string, unknown>;
    try {
      await this.store.create({ ...ref, spec });
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'ALREADY_EXISTS')) throw err;
      const current = await this.store.get(ref);
      await this.store.update({ ...ref, revision: current.revision, spec });
      return;
    }
    await this.trim(scope, run.functionName);
  }

  async get(scope: RequestScope, functionName: string | undefined, name: string): Promise<Run> {
    const names = functionName ? [functionName] : await this.functionNames(scope);
    for (const fn of names) {
      try {
        return (await this.store.get<Run>({ ...scope, kind: runKind(fn), name })).spec;
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'NOT_FOUND')) throw err;
      }
    }
    throw new DomainError('NOT_FOUND', `run ${name} not found in ${scope.org}/${scope.project}`);
  }

  async list(scope: RequestScope, functionName: string | undefined, since?: number): Promise<Run[]> {
    const names = functionName ? [functionName] : await this.functionNames(scope);
    const all: Run[] = [];
    for (const fn of names) {
      const runs = (await this.store.list<Run>({ ...scope, kind: runKind(fn) })).map((e) => e.spec);
      all.push(...newestFirst(runs).slice(0, this.retention));
    }
    return newestFirst(all).filter((r) => since === undefined || r.executedTime >= since);
  }

  async forget(scope: RequestScope, functionName: string): Promise<void> {
    const runs = await this.store.list({ ...scope, kind: runKind(functionName) });
    await Promise.all(runs.map((run) => this.store.delete(run).catch(() => undefined)));
  }

  async close(): Promise<void> {
    // The store belongs to the platform.
  }

  private async functionNames(scope: RequestScope): Promise<string[]> {
    return (await this.store.list({ ...scope, kind: FUNCTION_KIND })).map((f) => f.name);
  }

  private async trim(scope: RequestScope, functionName: string): Promise<void> {
    const key = `${scope.org}/${scope.project}/${functionName}`;
    const count = (this.writes.get(key) ?? 0) + 1;
    this.writes.set(key, count);
    if (count % this.retention !== 0) return;
    const runs = await this.store.list<Run>({ ...scope, kind: runKind(functionName) });
    const byName = new Map(runs.map((e) => [e.spec.name, e]));
    const recent = Date.now() - this.keepRecentMs;
    const oldest = newestFirst(runs.map((e) => e.spec))
      .slice(this.retention)
      .filter((run) => run.executedTime * 1000 < recent);
    // Together, so the store commits them as one batch.
    await Promise.all(
      oldest.map((run) =>
        this.store.delete(byName.get(run.name) as (typeof runs)[number]).catch(() => undefined),
      ),
    );
  }
}
