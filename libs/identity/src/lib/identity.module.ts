import { Module, type DynamicModule } from '@nestjs/common';
import { AuthController } from './auth.controller.js';
import { HomeController } from './home.controller.js';
import { BootstrapService } from './bootstrap.service.js';
import { OrganizationController, PolicyController, ServiceAccountController } from './iam.controllers.js';
import { IDENTITY_CONFIG, type IdentityConfig } from './identity.config.js';
import { LocalAdmin } from './local-admin.js';
import { LoginBroker } from './login-broker.js';
import { LoginController } from './login.controller.js';
import { OrganizationService } from './organization.service.js';
import { OriginalBrowserSignInController } from './original-browser-sign-in.controller.js';
import { PolicyService } from './policy.service.js';
import { ServiceAccountService } from './service-account.service.js';

/**
 * The identity domain (`/v1/iam/...`, as in the upstream identity-manager.yaml): organisations, policies
 * and service accounts, bootstrap mode, the login broker for the OpenID provider, `/v1/iam/auth`, and the original's `/` and `/home`.
 * The guard that enforces what these define is AccessModule (@dispatch/auth), in every process.
 */
@Module({})
export class IdentityModule {
  static forRoot(config: IdentityConfig): DynamicModule {
    return {
      module: IdentityModule,
      controllers: [
        OrganizationController,
        PolicyController,
        ServiceAccountController,
        LoginController,
        AuthController,
        HomeController,
        OriginalBrowserSignInController,
      ],
      providers: [
        { provide: IDENTITY_CONFIG, useValue: config },
        OrganizationService,
        PolicyService,
        ServiceAccountService,
        BootstrapService,
        LocalAdmin,
        LoginBroker,
      ],
      exports: [LocalAdmin, OrganizationService, PolicyService, ServiceAccountService],
    };
  }
}
