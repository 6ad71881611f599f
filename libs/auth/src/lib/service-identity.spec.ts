import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { decodeJwt } from 'jose';
import type { EntityStore } from '@dispatch/entity-store';
import type { AccessConfig } from './access-control.js';
import { ServiceIdentity } from './service-identity.js';

/** A store that registers the account and keeps its lease: the token is all this suite looks at. */
const store = {
  grantLease: async () => ({ onLost: () => undefined, revoke: async () => undefined }),
  create: async () => ({}),
} as unknown as EntityStore;

afterEach(() => {
  jest.useRealTimers();
});

describe('the service identity', () => {
  it('hands out a token that is still valid after the service sat idle longer than a token lives', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance'] });
    const identity = new ServiceIdentity(store, { service: 'functions' } as AccessConfig);
    await identity.onModuleInit();
    const first = decodeJwt(identity.token());
    expect(first.iss).toMatch(/\/functions-[0-9a-f]{12}$/);

    // Nobody asks for a token for 40 minutes (a functions service that reads no secret meanwhile).
    await jest.advanceTimersByTimeAsync(40 * 60_000);
    // Signing is asynchronous work outside the faked clock: give the renewals up to 10 real seconds (a
    // loaded machine runs the unit suites side by side), watching the kept token without asking for one,
    // since asking is what the service's first call after the idle time does, below.
    const kept = () => (identity as unknown as { current: { token: string } }).current.token;
    const valid = () => (decodeJwt(kept()).exp as number) * 1000 > Date.now();
    const deadline = performance.now() + 10_000;
    while (!valid() && performance.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const later = decodeJwt(identity.token());
    expect((later.exp as number) * 1000).toBeGreaterThan(Date.now());
    expect(later.iat).toBeGreaterThan(first.iat as number);
    await identity.onModuleDestroy();
  });
});
