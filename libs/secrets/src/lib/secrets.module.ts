import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { SECRETS_RESOLVER } from '@dispatch/contracts';
import { envTypes, parseEnv } from '@dispatch/platform';
import { SecretCipher } from './secret-cipher.js';
import { SecretController } from './secret.controller.js';
import { SecretService } from './secret.service.js';

export interface SecretsConfig {
  /** A generated key goes to `<dataDir>/secrets.key` when `key` is not given. */
  dataDir: string;
  /** The sealing key, 32 bytes in base64. */
  key?: string;
}

/**
 * The secrets domain's settings from the environment: DISPATCH_SECRETS_KEY, the sealing key every
 * replica must share (without one, a key is generated into the data directory).
 */
export function secretsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<SecretsConfig, 'key'> {
  const { DISPATCH_SECRETS_KEY } = parseEnv({ DISPATCH_SECRETS_KEY: envTypes.optional() }, env);
  return { key: DISPATCH_SECRETS_KEY };
}

/**
 * `/v1/secret`, and the SecretsResolver the functions domain fills `context.secrets` from. Global, so
 * the functions module in the same process finds the resolver without importing this domain.
 */
@Module({})
export class SecretsModule {
  static forRoot(config: SecretsConfig): DynamicModule {
    return {
      module: SecretsModule,
      global: true,
      controllers: [SecretController],
      providers: [
        {
          provide: SecretCipher,
          useFactory: () =>
            SecretCipher.load({ key: config.key, keyFile: join(config.dataDir, 'secrets.key') }),
        },
        SecretService,
        { provide: SECRETS_RESOLVER, useExisting: SecretService },
      ],
      exports: [SECRETS_RESOLVER],
    };
  }
}
