import { join, resolve } from 'node:path';
import { envTypes, parseEnv } from '@dispatch/platform';

export interface EventsConfig {
  /** Driver programs' sockets go under `<dataDir>/drivers`; programs default to `<dataDir>/driver-programs`. */
  dataDir: string;
  /** The directory of the programs driver types may run, installed by an operator. */
  driverPrograms?: string;
  /** Attempts to run a subscription's function for one event before it goes to the dead letters. */
  deliveryAttempts?: number;
  /** The wait before the second attempt; each later one waits twice as long. */
  retryBaseMs?: number;
}

export const EVENTS_CONFIG = Symbol.for('dispatch.events-config');

export const DEFAULT_DELIVERY_ATTEMPTS = 5;
export const DEFAULT_RETRY_BASE_MS = 200;

/** The events domain's settings from the environment: where the programs driver types may run are. */
export function eventsConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<EventsConfig, 'driverPrograms'> {
  // The programs event-driver types may run, installed by an operator.
  const { DISPATCH_DRIVER_PROGRAMS } = parseEnv({ DISPATCH_DRIVER_PROGRAMS: envTypes.optional() }, env);
  return DISPATCH_DRIVER_PROGRAMS ? { driverPrograms: resolve(DISPATCH_DRIVER_PROGRAMS) } : {};
}

/** The directory driver programs must come from. */
export function driverProgramsDir(config: EventsConfig): string {
  return config.driverPrograms ?? join(config.dataDir, 'driver-programs');
}
