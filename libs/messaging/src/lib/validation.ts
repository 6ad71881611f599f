import { DomainError } from '@dispatch/contracts';
import type { OutgoingMessage, SubscribeOptions } from './message-bus.js';

/** Kafka's rule for topic names, kept by the in-process bus too so a name that works in solo works on Kafka. */
const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's default message size limit is 1 MB; stay under it in both buses. */
export const MAX_MESSAGE_BYTES = 900 * 1024;

export function validateTopic(topic: unknown): string {
  if (typeof topic !== 'string' || !TOPIC_PATTERN.test(topic) || topic === '.' || topic === '..') {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `invalid topic ${JSON.stringify(topic)}: use 1 to 249 letters, digits, '.', '_' or '-'`,
    );
  }
  return topic;
}

/** Serialises a message's value, refusing what is too large or cannot be JSON. */
export function encodeMessage<T>(topic: string, message: OutgoingMessage<T>): string {
  if (typeof message.key !== 'string' || message.key.length === 0) {
    throw new DomainError('INVALID_ARGUMENT', `a message on ${topic} has no key: every message needs one`);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(message.value);
  } catch (err) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `the message ${message.key} on ${topic} is not JSON: ${(err as Error).message}`,
    );
  }
  if (json === undefined) {
    throw new DomainError('INVALID_ARGUMENT', `the message ${message.key} on ${topic} has no value`);
  }
  if (Buffer.byteLength(json) > MAX_MESSAGE_BYTES) {
    throw new DomainError(
      'PAYLOAD_TOO_LARGE',
      `the message ${message.key} on ${topic} is over the ${MAX_MESSAGE_BYTES}-byte limit`,
    );
  }
  return json;
}

export function validateSubscription<T>(options: SubscribeOptions<T>): void {
  if (!Array.isArray(options.topics) || options.topics.length === 0) {
    throw new DomainError('INVALID_ARGUMENT', 'a subscription needs at least one topic');
  }
  options.topics.forEach(validateTopic);
  if (typeof options.group !== 'string' || !TOPIC_PATTERN.test(options.group)) {
    throw new DomainError('INVALID_ARGUMENT', `invalid consumer group ${JSON.stringify(options.group)}`);
  }
}

/** Backoff between redeliveries of a message whose handler failed: 50 ms doubling to 5 s. */
export function retryDelay(attempt: number): number {
  return Math.min(5000, 50 * 2 ** Math.min(attempt, 10));
}
