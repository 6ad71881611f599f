import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { soloConfig } from './env.js';

describe('soloConfig', () => {
  it('runs with no configuration on 127.0.0.1:8080 with data under ~/.dispatch/data, endpoints on 8081/8444', () => {
    expect(soloConfig([], {})).toEqual({
      host: '127.0.0.1',
      port: 8080,
      dataDir: join(homedir(), '.dispatch', 'data'),
      gatewayPort: 8081,
      gatewayTlsPort: 8444,
      cliConfig: join(homedir(), '.dispatch', 'config.json'),
      runLogLimitBytes: 1024 * 1024,
      metrics: true,
      consoleDir: fileURLToPath(new URL('../../ui/dist', import.meta.url)),
    });
  });

  it('turns metrics off when told, and refuses a word it does not know, naming the variable', () => {
    expect(soloConfig([], { DISPATCH_METRICS: 'off' })).toMatchObject({ metrics: false });
    expect(soloConfig([], { DISPATCH_METRICS: 'on' })).toMatchObject({ metrics: true });
    expect(() => soloConfig([], { DISPATCH_METRICS: 'maybe' })).toThrow(
      /DISPATCH_METRICS: must be one of on, off/,
    );
    expect(() => soloConfig([], { DISPATCH_LOG_FORMAT: 'xml' })).toThrow(
      /DISPATCH_LOG_FORMAT: must be one of json, text/,
    );
  });

  it('takes DISPATCH_* variables, and flags over them', () => {
    expect(soloConfig([], { DISPATCH_PORT: '9000', DISPATCH_DATA_DIR: '/tmp/d' })).toMatchObject({
      port: 9000,
      dataDir: '/tmp/d',
    });
    expect(soloConfig(['--port', '9100', '--data-dir', '/tmp/e'], { DISPATCH_PORT: '9000' })).toMatchObject({
      port: 9100,
      dataDir: '/tmp/e',
    });
    expect(
      soloConfig(['--gateway-port', '0'], { DISPATCH_GATEWAY_TLS_PORT: '9444', DISPATCH_SECRETS_KEY: 'k' }),
    ).toMatchObject({ gatewayPort: 0, gatewayTlsPort: 9444, secretsKey: 'k' });
    expect(soloConfig([], { DISPATCH_RUN_LOG_LIMIT: '65536' })).toMatchObject({ runLogLimitBytes: 65536 });
    expect(() => soloConfig([], { DISPATCH_RUN_LOG_LIMIT: '10' })).toThrow(
      'DISPATCH_RUN_LOG_LIMIT: must be at least 1024 bytes',
    );
  });

  it('takes an OpenID provider, and refuses one without a client id', () => {
    expect(
      soloConfig([], { DISPATCH_OIDC_ISSUER: 'http://127.0.0.1:9400', DISPATCH_OIDC_CLIENT_ID: 'dispatch' }),
    ).toMatchObject({ oidc: { issuer: 'http://127.0.0.1:9400', clientId: 'dispatch' } });
    expect(() => soloConfig([], { DISPATCH_OIDC_ISSUER: 'http://127.0.0.1:9400' })).toThrow(
      /DISPATCH_OIDC_CLIENT_ID: required/,
    );
  });

  it('refuses an unknown flag and a bad port, naming them', () => {
    expect(() => soloConfig(['--prot', '1'], {})).toThrow(/--prot/);
    expect(() => soloConfig(['--port', 'x'], {})).toThrow(/DISPATCH_PORT: must be a port number/);
  });
});
