export {
  PlatformModule,
  type SoloPlatformConfig,
  type DistributedPlatformConfig,
} from './lib/platform.module.js';
export { startHttpServer, runMain, type HttpServerOptions } from './lib/http-server.js';
export { parseEnv, envTypes, ConfigError } from './lib/env.js';
export { DomainErrorFilter } from './lib/domain-error.filter.js';
export { HealthModule, type HealthCheck, type HealthCheckFactory } from './lib/health.js';
export { VersionModule, readVersion } from './lib/version.js';
export { runDistributedService, serviceEnv, type DistributedServiceSpec } from './lib/service.js';
