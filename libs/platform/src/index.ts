export {
  PlatformModule,
  type SoloPlatformConfig,
  type DistributedPlatformConfig,
} from './lib/platform.module.js';
export { startHttpServer, runMain, type HttpServerOptions } from './lib/http-server.js';
export {
  currentRequestId,
  logFormatOf,
  PlatformLogger,
  REQUEST_ID_HEADER,
  wellFormedOr,
  withRequestId,
} from './lib/logging.js';
export {
  activeTracer,
  contextFrom,
  inServerSpan,
  inSpan,
  SpanKind,
  startTracing,
  stopTracing,
  traceHeaders,
  tracesEndpointOf,
} from './lib/tracing.js';
export { parseEnv, envTypes, ConfigError } from './lib/env.js';
export { DomainErrorFilter } from './lib/domain-error.filter.js';
export { HealthModule, type HealthCheck, type HealthCheckFactory } from './lib/health.js';
export { VersionModule, readVersion } from './lib/version.js';
export {
  BoundedSeries,
  MetricsModule,
  METRICS_REGISTRY,
  LATENCY_BUCKETS,
  soloMetricsToken,
} from './lib/metrics.js';
export {
  runDistributedService,
  serviceEnv,
  type DistributedServiceSpec,
  type ServiceEnv,
} from './lib/service.js';
export { EntityReconciler, Reconciler, type ReconcilerOptions } from './lib/reconciler.js';
export { Scope, scopeOf, type RequestScope } from './lib/request-scope.js';
export { parseBody, parseJson, parseTagFilter, MAX_JSON_DEPTH } from './lib/http-input.js';
export { startTestApp, type TestApp } from './lib/test-app.js';
export { ensurePrivateDir } from './lib/private-dir.js';
export { EntityCache, type EntityCacheOptions } from './lib/entity-cache.js';
export { EntityWorkers, type EntityWorker, type EntityWorkersOptions } from './lib/entity-workers.js';
export {
  Public,
  Resource,
  Action,
  OrgFromPath,
  InstallationWide,
  actionOfMethod,
  PUBLIC_ROUTE,
  ACCESS_RESOURCE,
  ACCESS_ACTION,
  ACCESS_ORG_PARAM,
  ACCESS_INSTALLATION,
} from './lib/access.decorators.js';
export {
  PublishingEntityStore,
  domainEventType,
  onDomainEvents,
  type DomainEvent,
  type DomainVerb,
} from './lib/domain-events.js';
export { lastingSubscription, type LastingSubscription } from './lib/lasting-subscription.js';
export { allocateSandboxUid, sandboxUidFor, FIRST_TENANT_UID } from './lib/sandbox-uids.js';
export {
  KindRepository,
  requireSameName,
  type Deletion,
  type EntityChange,
} from './lib/crud/kind-repository.js';
export {
  CrudRoutes,
  type CrudRoutesOptions,
  type KindService,
  type ListFilter,
  type UpdateRequest,
} from './lib/crud/crud-controller.js';
export { KindCrud } from './lib/crud/kind-crud.js';
export { ValidBody } from './lib/crud/valid-body.js';
export { CallerOf } from './lib/crud/caller.js';
export { draining } from './lib/shutdown.js';
export { sseEvent, sseComment } from './lib/sse.js';
export {
  EntityWatches,
  WatchesModule,
  MAX_WATCHES_PER_ORG,
  type WatchEmit,
} from './lib/crud/entity-watches.js';
