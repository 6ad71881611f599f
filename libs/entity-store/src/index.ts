export * from './lib/entity-store.js';
export { EmbeddedEntityStore, type EmbeddedStoreOptions } from './lib/embedded/embedded-store.js';
export { EtcdEntityStore, type EtcdStoreOptions } from './lib/etcd/etcd-store.js';
export {
  EntityStoreModule,
  openEntityStore,
  type EntityStoreConfig,
  type StoreDecorator,
} from './lib/store.module.js';
export { MAX_ENTITY_BYTES } from './lib/validation.js';
