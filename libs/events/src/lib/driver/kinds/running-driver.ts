import type { Logger } from '@nestjs/common';
import type { CloudEvent, EventDriverTypeSpec } from '@dispatch/contracts';
import type { Sandbox, Unconfined } from '@dispatch/sandbox';

/** What a running driver is given: its settings and secrets, and where its events and status go. */
export interface DriverContext {
  org: string;
  project: string;
  name: string;
  /** Its type's settings overlaid with its own. */
  settings: Map<string, string>;
  /** Its secrets' values, merged. */
  secrets: Record<string, string>;
  /** A type users added (a program); undefined for a built-in type. */
  type?: EventDriverTypeSpec;
  emit(event: CloudEvent): Promise<void>;
  /** For a program: where programs come from, where its socket goes, and how and as whom it runs. */
  program?: { programsDir: string; socketsDir: string; uid: number; sandbox: Sandbox | Unconfined };
  /** For drivers whose health changes while they run (a program that exits and is restarted). */
  status(status: 'READY' | 'ERROR', reason: string[]): void;
  logger: Logger;
}

export interface RunningDriver {
  stop(): Promise<void>;
}

/** A driver that cannot run as configured: the message becomes its ERROR reason. */
export class DriverProblem extends Error {}

/** The event a built-in driver emits: its type, its driver as the source, JSON data. */
export function driverEvent(driver: string, eventType: string, data: unknown): CloudEvent {
  return {
    eventType,
    cloudEventsVersion: '1.0',
    source: `dispatch/eventdriver/${driver}`,
    eventID: crypto.randomUUID(),
    eventTime: new Date().toISOString(),
    contentType: 'application/json',
    data,
  };
}
