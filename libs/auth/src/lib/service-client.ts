import type { FactoryProvider, InjectionToken } from '@nestjs/common';
import { ServiceIdentity } from './service-identity.js';

/**
 * A provider of a client of another service (a remote invoker, a remote secrets resolver) that calls it
 * with this process's own credential, current on every call.
 */
export function serviceClient<T>(
  provide: InjectionToken,
  create: (token: () => string) => T,
): FactoryProvider<T> {
  return {
    provide,
    inject: [ServiceIdentity],
    useFactory: (identity: ServiceIdentity) => create(() => identity.token()),
  };
}
