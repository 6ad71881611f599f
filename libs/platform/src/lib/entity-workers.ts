import { Logger } from '@nestjs/common';
import { DomainError, type Entity, type EntityStatus } from '@dispatch/contracts';
import type { EntityStore } from '@dispatch/entity-store';
import { EntityCache } from './entity-cache.js';

/** The running work of one entity: a consumer, a driver; what it holds is its owner's `state`. */
export interface EntityWorker<S, W> {
  /** The newest version of its entity: status writes and edits that need no restart arrive here. */
  entity: Entity<S>;
  /** Set when it is stopped: a start still under way gives up. */
  stopped: boolean;
  state?: W;
}

export interface EntityWorkersOptions<S, W> {
  name: string;
  store: EntityStore;
  kind: string;
  /** What the work depends on: when it changes, the worker is stopped and a new one started. */
  identity: (entity: Entity<S>) => string;
  start: (worker: EntityWorker<S, W>) => Promise<void>;
  stop: (worker: EntityWorker<S, W>) => Promise<void>;
  /** A newer version of the entity with the same identity (a status write, say). */
  updated?: (worker: EntityWorker<S, W>) => void;
}

const keyOf = (e: Entity<unknown>) => `${e.org}/${e.project}/${e.name}`;

/**
 * One worker per stored entity of a kind, kept in step with the store through an EntityCache: a new
 * entity starts one, a change of its identity replaces it, a delete stops it. What subscriptions and
 * event drivers share: a long-running thing per entity, rather than a one-off reconcile.
 */
export class EntityWorkers<S, W> {
  private readonly logger: Logger;
  private readonly cache: EntityCache<S>;
  private readonly workers = new Map<string, { identity: string; worker: EntityWorker<S, W> }>();

  constructor(private readonly options: EntityWorkersOptions<S, W>) {
    this.logger = new Logger(`${options.name}-workers`);
    this.cache = new EntityCache<S>({
      name: options.name,
      store: options.store,
      kind: options.kind,
      onChange: () => this.sync(),
    });
  }

  start(): void {
    this.cache.start();
  }

  async stop(): Promise<void> {
    await this.cache.stop();
    const all = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(all.map(({ worker }) => this.retire(worker)));
  }

  /** The workers running now, one per stored entity. */
  current(): EntityWorker<S, W>[] {
    return [...this.workers.values()].map(({ worker }) => worker);
  }

  /**
   * Writes a worker's entity status unless it already says so. A newer write or a delete in between
   * wins: the next version arrives through the cache anyway.
   */
  async mark(worker: EntityWorker<S, W>, status: EntityStatus, reason: string[]): Promise<void> {
    const { entity } = worker;
    if (worker.stopped || (entity.status === status && entity.reason.join() === reason.join())) return;
    try {
      worker.entity = await this.options.store.update<S>({ ...entity, status, reason });
    } catch (err) {
      if (err instanceof DomainError && (err.code === 'REVISION_CONFLICT' || err.code === 'NOT_FOUND'))
        return;
      this.logger.warn(`marking ${this.options.kind} ${keyOf(entity)} ${status}: ${(err as Error).message}`);
    }
  }

  private sync(): void {
    const wanted = new Map<string, Entity<S>>();
    for (const entity of this.cache.values()) wanted.set(keyOf(entity), entity);
    for (const [key, { identity, worker }] of this.workers) {
      const entity = wanted.get(key);
      if (!entity || this.options.identity(entity) !== identity) {
        this.workers.delete(key);
        void this.retire(worker);
      }
    }
    for (const [key, entity] of wanted) {
      const running = this.workers.get(key);
      if (running) {
        running.worker.entity = entity;
        this.options.updated?.(running.worker);
        continue;
      }
      const worker: EntityWorker<S, W> = { entity, stopped: false };
      this.workers.set(key, { identity: this.options.identity(entity), worker });
      this.options
        .start(worker)
        .catch((err: unknown) =>
          this.logger.error(`starting ${this.options.kind} ${key}: ${(err as Error).stack ?? err}`),
        );
    }
  }

  private async retire(worker: EntityWorker<S, W>): Promise<void> {
    worker.stopped = true;
    await this.options
      .stop(worker)
      .catch((err: unknown) =>
        this.logger.warn(`stopping ${this.options.kind} ${keyOf(worker.entity)}: ${(err as Error).message}`),
      );
  }
}
