import type { Subscription } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print, when } from '../../print.js';

export interface SubscriptionFlags {
  eventType?: string;
  name?: string;
  secret?: string[];
}

/** The name a subscription gets when none is given: its function and event type. */
function defaultName(fn: string, eventType: string): string {
  return `${fn}-${eventType.replace(/[^\w-]/g, '-')}`;
}

export async function createSubscription(
  fn: string,
  flags: SubscriptionFlags,
  global: GlobalOptions,
): Promise<void> {
  const { eventType } = flags;
  const name = flags.name ?? defaultName(fn, eventType ?? 'events');
  // Without --event-type the API's refusal names the flag.
  await clientFor(global).subscriptions.create({
    name,
    function: fn,
    eventType: eventType as string,
    secrets: flags.secret ?? [],
  });
  console.log(`Created subscription: ${name}`);
}

export async function updateSubscription(
  name: string,
  fn: string,
  flags: SubscriptionFlags,
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor(global);
  const current = await client.subscriptions.get(name);
  await client.subscriptions.update(name, {
    function: fn,
    eventType: flags.eventType ?? current.eventType,
    secrets: flags.secret ?? current.secrets,
  });
  console.log(`Updated subscription: ${name}`);
}

export async function getSubscriptions(name: string | undefined, global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  const list: Subscription[] = name
    ? [await client.subscriptions.get(name)]
    : await client.subscriptions.list();
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'EVENT TYPE', 'FUNCTION', 'STATUS', 'CREATED'],
    ...list.map((s) => [s.name, s.eventType, s.function, s.status, when(s.createdTime)]),
  ]);
}

export async function deleteSubscription(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).subscriptions.delete(name);
  console.log(`Deleted subscription: ${name}`);
}
