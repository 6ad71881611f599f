import {
  Global,
  Module,
  type DynamicModule,
  type InjectionToken,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { EmbeddedEntityStore, type EmbeddedStoreOptions } from './embedded/embedded-store.js';
import { ENTITY_STORE, type EntityStore } from './entity-store.js';
import { EtcdEntityStore, type EtcdStoreOptions } from './etcd/etcd-store.js';

export type EntityStoreConfig =
  ({ type: 'embedded' } & EmbeddedStoreOptions) | ({ type: 'etcd' } & EtcdStoreOptions);

export async function openEntityStore(config: EntityStoreConfig): Promise<EntityStore> {
  switch (config.type) {
    case 'embedded':
      return EmbeddedEntityStore.open(config);
    case 'etcd':
      return new EtcdEntityStore(config);
  }
}

class StoreCloser implements OnApplicationShutdown {
  constructor(@Inject(ENTITY_STORE) private readonly store: EntityStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * A store around the store, made with other providers (`inject`): the platform's publisher of domain
 * events wraps it so that every write of the app is announced, without the domains knowing.
 */
export interface StoreDecorator {
  inject: InjectionToken[];
  wrap: (store: EntityStore, ...deps: never[]) => EntityStore;
}

/** Provides `ENTITY_STORE` to every module of the app: one store per process, closed on shutdown. */
@Global()
@Module({})
export class EntityStoreModule {
  static forRoot(config: EntityStoreConfig, decorator?: StoreDecorator): DynamicModule {
    return {
      module: EntityStoreModule,
      providers: [
        {
          provide: ENTITY_STORE,
          inject: decorator?.inject ?? [],
          useFactory: async (...deps: never[]) => {
            const store = await openEntityStore(config);
            return decorator ? decorator.wrap(store, ...deps) : store;
          },
        },
        StoreCloser,
      ],
      exports: [ENTITY_STORE],
    };
  }
}
