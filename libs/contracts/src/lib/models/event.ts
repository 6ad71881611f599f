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
