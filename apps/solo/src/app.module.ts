import { Module, type DynamicModule } from '@nestjs/common';
import { ApiGatewayModule } from '@dispatch/api-gateway';
import { AccessModule } from '@dispatch/auth';
import { ConsoleModule } from '@dispatch/console';
import { EventsModule } from '@dispatch/events';
import { FunctionsModule } from '@dispatch/functions';
import { IdentityModule } from '@dispatch/identity';
import { ImagesModule } from '@dispatch/images';
import { PlatformModule } from '@dispatch/platform';
import { SecretsModule } from '@dispatch/secrets';
import { soloAddress } from './address.js';
import type { SoloConfig } from './env.js';
import { adminKeyFile, LOCAL_ADMIN_ACCOUNT } from './local-admin.js';

/**
 * Solo: every domain module in one process, on the embedded store and the in-process bus. A domain
 * issue adds its module to `imports` here and to its own service app, nothing else.
 */
@Module({})
export class SoloModule {
  static forRoot(config: SoloConfig): DynamicModule {
    return {
      module: SoloModule,
      imports: [
        PlatformModule.solo({ dataDir: config.dataDir, metrics: config.metrics }),
        AccessModule.forRoot({ service: 'solo', oidc: config.oidc }),
        IdentityModule.forRoot({ oidc: config.oidc }),
        ImagesModule.forRoot({ dataDir: config.dataDir }),
        FunctionsModule.forRoot({
          dataDir: config.dataDir,
          runJournal: 'embedded',
          logLimitBytes: config.runLogLimitBytes,
        }),
        SecretsModule.forRoot({ dataDir: config.dataDir, key: config.secretsKey }),
        EventsModule.forRoot({ dataDir: config.dataDir, driverPrograms: config.driverPrograms }),
        ApiGatewayModule.forRoot({
          dataDir: config.dataDir,
          host: config.host,
          port: config.gatewayPort,
          tlsPort: config.gatewayTlsPort,
          tlsCert: config.tlsCert,
          tlsKey: config.tlsKey,
        }),
        ConsoleModule.forRoot({
          assetsDir: config.consoleDir,
          // The console calls the API of this very process, on the port it got.
          apiUrl: () => soloAddress.url,
          endpointsUrl: () => soloAddress.endpointsUrl,
          localAdministrator: { serviceAccount: LOCAL_ADMIN_ACCOUNT, keyFile: adminKeyFile(config) },
          ...(config.consoleUrl && { publicUrl: config.consoleUrl }),
          secureCookies: false,
        }),
      ],
    };
  }
}
