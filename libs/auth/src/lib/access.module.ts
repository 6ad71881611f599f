import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ACCESS_CONFIG, AccessControl, type AccessConfig } from './access-control.js';
import { AccessGuard } from './access.guard.js';
import { AuthenticateFirst } from './authenticate-first.js';
import { ServiceIdentity } from './service-identity.js';

/**
 * Access control for a whole app: the credential proven before a body is read (AuthenticateFirst),
 * AccessGuard on every route, and AccessControl for what decides outside a route (`/v1/iam/auth`, the
 * identity domain offering what it writes, the secrets a caller names). Solo and every distributed
 * service import it once; a domain lib's tests leave it out and call their routes freely.
 */
@Module({})
export class AccessModule {
  static forRoot(config: AccessConfig): DynamicModule {
    return {
      module: AccessModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: ACCESS_CONFIG, useValue: config },
        AccessControl,
        AuthenticateFirst,
        { provide: APP_GUARD, useClass: AccessGuard },
        ...(config.serviceIdentity ? [ServiceIdentity] : []),
      ],
      exports: [AccessControl, ...(config.serviceIdentity ? [ServiceIdentity] : [])],
    };
  }
}
