export { SecretsModule, secretsConfigFromEnv, type SecretsConfig } from './lib/secrets.module.js';
export { SecretCipher, type SealedValues } from './lib/secret-cipher.js';
