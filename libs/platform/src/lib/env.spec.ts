import { describe, expect, it } from '@jest/globals';
import { envTypes, parseEnv } from './env.js';

describe('parseEnv', () => {
  const shape = {
    DISPATCH_PORT: envTypes.port(8080),
    DISPATCH_ETCD_ENDPOINTS: envTypes.list('http://127.0.0.1:2379'),
  };

  it('fills defaults so nothing needs configuring', () => {
    expect(parseEnv(shape, {})).toEqual({
      DISPATCH_PORT: 8080,
      DISPATCH_ETCD_ENDPOINTS: ['http://127.0.0.1:2379'],
    });
  });

  it('reads and converts what is set', () => {
    expect(
      parseEnv(shape, { DISPATCH_PORT: '9000', DISPATCH_ETCD_ENDPOINTS: 'http://a:1, http://b:2' }),
    ).toEqual({
      DISPATCH_PORT: 9000,
      DISPATCH_ETCD_ENDPOINTS: ['http://a:1', 'http://b:2'],
    });
  });

  it('names the variable and the value it could not use', () => {
    expect(() => parseEnv(shape, { DISPATCH_PORT: 'eighty' })).toThrow(
      /DISPATCH_PORT: must be a port number.*"eighty"/,
    );
    expect(() => parseEnv(shape, { DISPATCH_PORT: '70000' })).toThrow(
      /DISPATCH_PORT: must be a port number between/,
    );
  });
});
