export interface EventsConfig {
  /** Attempts to run a subscription's function for one event before it goes to the dead letters. */
  deliveryAttempts?: number;
  /** The wait before the second attempt; each later one waits twice as long. */
  retryBaseMs?: number;
}

export const EVENTS_CONFIG = Symbol.for('dispatch.events-config');

export const DEFAULT_DELIVERY_ATTEMPTS = 5;
export const DEFAULT_RETRY_BASE_MS = 200;
