import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Entity } from '@dispatch/contracts';
import type { EntityRef, EntityStore, LockHandle } from '@dispatch/entity-store';
import { KindFollower } from './kind-follower.js';

/** How long a dead replica's lock on an entity outlives it, and how long another waits before looking again. */
const LOCK_TTL_S = 15;
const LOCK_WAIT_MS = 5000;
const LOCK_RETRY_MS = 500;

/** Statuses that mean "work to do": a reconciler acts on these and leaves READY and ERROR alone. */
const PENDING = new Set(['INITIALIZED', 'CREATING', 'UPDATING', 'DELETING']);

export interface ReconcilerOptions<S> {
  name: string;
  store: EntityStore;
  kind: string;
  /**
   * Brings one entity towards what it asks for; called at most once at a time per entity. Returning a
   * number asks to be called again for it after that many milliseconds (waiting on another entity).
   */
  reconcile: (entity: Entity<S>) => Promise<void | number>;
}

const keyOf = (ref: EntityRef) => `${ref.org}/${ref.project}/${ref.kind}/${ref.name}`;

/**
 * Drives one kind of entity to its desired state, as the original Dispatch's controllers and Knative's
 * reconcilers do: on start it lists every entity of its kind across orgs, then follows the store's
 * watch from that point. Pending entities go through a work queue that runs one reconcile per entity at
 * a time and coalesces changes that arrive meanwhile, so the latest state is what gets reconciled.
 */
export class Reconciler<S> {
  private readonly logger: Logger;
  private readonly follower: KindFollower<S>;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private stopped = false;

  constructor(private readonly options: ReconcilerOptions<S>) {
    this.logger = new Logger(`${options.name}-reconciler`);
    this.follower = new KindFollower<S>({
      store: options.store,
      kind: options.kind,
      logger: this.logger,
      onEvent: (event) => {
        if (event.type === 'put') this.enqueue(event.entity);
      },
      onListed: (entities) => entities.forEach((entity) => this.enqueue(entity)),
    });
  }

  /** Starts following the store, in the background (see KindFollower). */
  async start(): Promise<void> {
    this.follower.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.follower.stop();
    await Promise.all(this.running.values());
  }

  /**
   * Looks at an entity now rather than at its next change or retry: for a reaction to another
   * service's domain event (the image a function waits for is READY).
   */
  nudge(ref: EntityRef): Promise<void> {
    return this.refetch(ref);
  }

  /** Resolves once nothing is queued or running: for tests and orderly shutdown. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private enqueue(entity: Entity<S>): void {
    if (this.stopped || !PENDING.has(entity.status)) return;
    const key = keyOf(entity);
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    const work = this.process(entity).finally(() => {
      this.running.delete(key);
      if (this.again.delete(key)) void this.refetch(entity);
    });
    this.running.set(key, work);
  }

  /**
   * One reconcile, under a lock on the entity in the store: every replica of a service follows the same
   * kind, and only the lock's holder works on an entity, so two replicas never build it twice. The
   * others wait; once they hold the lock the entity is usually no longer pending, and if its holder
   * died, its lease ran out and the next one takes over.
   */
  private async process(entity: Entity<S>): Promise<void> {
    let lock: LockHandle | undefined;
    try {
      lock = await this.options.store.lock(`reconcile/${keyOf(entity)}`, {
        ttlSeconds: LOCK_TTL_S,
        timeoutMs: LOCK_WAIT_MS,
      });
      // Work from the stored state, not the event: a later write (or another replica) may have moved it.
      const current = await this.options.store.get<S>(entity);
      if (!PENDING.has(current.status)) return;
      const retryMs = await this.options.reconcile(current);
      if (typeof retryMs === 'number' && !this.stopped) {
        setTimeout(() => void this.refetch(current), retryMs).unref();
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'NOT_FOUND' || code === 'REVISION_CONFLICT') return;
      // Still held by another replica, or the store is down: look again in a moment.
      if (!lock && !this.stopped) {
        setTimeout(() => void this.refetch(entity), LOCK_RETRY_MS).unref();
        return;
      }
      this.logger.error(`${keyOf(entity)}: ${(err as Error).message}`);
    } finally {
      await lock?.release().catch(() => undefined);
    }
  }

  private async refetch(ref: EntityRef): Promise<void> {
    try {
      this.enqueue(await this.options.store.get<S>(ref));
    } catch {
      // Deleted meanwhile: nothing left to reconcile.
    }
  }
}

/**
 * A Nest provider that runs a Reconciler for one kind with the app: started on bootstrap, stopped on
 * shutdown. A domain's reconciler extends it and writes `reconcile`.
 */
export abstract class EntityReconciler<S> implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly reconciler: Reconciler<S>;

  protected constructor(store: EntityStore, kind: string) {
    this.reconciler = new Reconciler<S>({ name: kind, store, kind, reconcile: (e) => this.reconcile(e) });
  }

  protected abstract reconcile(entity: Entity<S>): Promise<void | number>;

  /** Reconciles an entity now if it is pending (see Reconciler.nudge). */
  protected nudge(ref: EntityRef): Promise<void> {
    return this.reconciler.nudge(ref);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reconciler.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.reconciler.stop();
  }
}
