import type { Tag } from '../entity.js';
import type { ApiModel } from './api-model.js';

/** `kind`s of the events domain in the entity store. */
export const SUBSCRIPTION_KIND = 'subscription';
export const EVENT_DRIVER_KIND = 'eventdriver';
export const EVENT_DRIVER_TYPE_KIND = 'eventdrivertype';
export const DEAD_LETTER_KIND = 'deadletter';

/** The pattern of an event type, as the upstream model has it. */
export const EVENT_TYPE_PATTERN = /^[\w\-.]+$/;

/**
 * An event as the API stores it and a function receives it (`context.event`, without `data`): a
 * CloudEvent with the upstream model's field names, which are CloudEvents 0.1's. Events arriving as
 * CloudEvents 1.0 are given these names (`type` is `eventType`, `id` is `eventID`, and so on).
 */
export interface CloudEvent {
  eventType: string;
  eventTypeVersion?: string;
  cloudEventsVersion: string;
  source: string;
  eventID: string;
  eventTime?: string;
  schemaURL?: string;
  contentType?: string;
  extensions?: Record<string, unknown>;
  data?: unknown;
}

/** The upstream Emission: the event as accepted, with its emission's id and time. */
export type Emission = CloudEvent & { id: string; 'emitted-time': number; tags: Tag[] };

/** What travels on the bus for one emitted event: the event and the project it was emitted in. */
export interface EventEnvelope {
  project: string;
  emission: string;
  event: CloudEvent;
}

/** The upstream Subscription: events of one type, delivered to one function. */
export interface SubscriptionSpec {
  eventType: string;
  function: string;
  /** Secrets handed to the function with each delivery, beside its own. */
  secrets: string[];
}

export type Subscription = ApiModel<SubscriptionSpec>;

/** An event its subscription could not deliver within its attempts, kept for a user to see. */
export interface DeadLetterSpec {
  subscription: string;
  function: string;
  event: CloudEvent;
  attempts: number;
  /** The last attempt's failure. */
  error: string;
  /** The last attempt's run, when there was one. */
  run?: string;
  failedTime: number;
}

export type DeadLetter = ApiModel<DeadLetterSpec>;

/** A `key=value` setting of a driver or driver type, as the upstream model lists them. */
export interface DriverConfig {
  key: string;
  value: string;
}

/** The pattern of a driver's name: lower case, digits and -, as the original Dispatch checked it. */
export const DRIVER_NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/** The driver types every Dispatch has: emitting on a schedule, and turning HTTP POSTs into events. */
export const BUILTIN_DRIVER_TYPES = ['timer', 'webhook'] as const;

/**
 * The upstream EventDriverType: a program that emits events. `image` is a container image in
 * Kubernetes and, on a machine (solo, services as processes), the path of an executable.
 */
export interface EventDriverTypeSpec {
  image: string;
  /** Settings every driver of this type gets, unless it sets them itself. */
  config: DriverConfig[];
  expose: boolean;
}

export type EventDriverType = ApiModel<EventDriverTypeSpec>;

/** The upstream EventDriver: one running instance of a driver type, with its settings and secrets. */
export interface EventDriverSpec {
  type: string;
  config: DriverConfig[];
  secrets: string[];
  /** A webhook driver's address: the path under the API where it takes POSTs. */
  url?: string;
  expose?: boolean;
}

export type EventDriver = ApiModel<EventDriverSpec>;
