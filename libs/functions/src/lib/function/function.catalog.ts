import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { FUNCTION_KIND, type Entity, type FunctionSpec } from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { EntityCache, type RequestScope } from '@dispatch/platform';

/**
 * Every function in memory, current through the store's watch, so a run looks its function up without
 * a store read. The source archive is left out: runs never read it, and it can be large.
 */
@Injectable()
export class FunctionCatalog implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly cache: EntityCache<FunctionSpec>;

  constructor(@Inject(ENTITY_STORE) store: EntityStore) {
    this.cache = new EntityCache<FunctionSpec>({
      name: 'function',
      store,
      kind: FUNCTION_KIND,
      keep: (entity) => {
        const { source: _source, ...spec } = entity.spec as FunctionSpec;
        return { ...entity, spec };
      },
    });
  }

  get(scope: RequestScope, name: string): Entity<FunctionSpec> | undefined {
    return this.cache.get({ org: scope.org, project: scope.project, name });
  }

  /** A version the reconciler just stored: runs use it from the next call, not from the watch's. */
  remember(entity: Entity<FunctionSpec>): void {
    this.cache.offer(entity);
  }

  onApplicationBootstrap(): void {
    this.cache.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.cache.stop();
  }
}
