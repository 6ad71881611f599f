import type { DeadLetter } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print, when } from '../../print.js';

/** Events whose delivery ran out of attempts, newest first; one subscription's with --subscription. */
export async function getDeadLetters(
  name: string | undefined,
  options: { subscription?: string },
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor(global);
  const query = options.subscription ? `?subscription=${encodeURIComponent(options.subscription)}` : '';
  const list: DeadLetter[] = name
    ? [await client.deadLetters.get(name)]
    : await client.request<DeadLetter[]>('GET', `/v1/event/deadletters${query}`);
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'SUBSCRIPTION', 'FUNCTION', 'EVENT TYPE', 'EVENT ID', 'ATTEMPTS', 'ERROR', 'FAILED'],
    ...list.map((d) => [
      d.name,
      d.subscription,
      d.function,
      d.event.eventType,
      d.event.eventID,
      String(d.attempts),
      d.error,
      when(d.failedTime),
    ]),
  ]);
}

export async function deleteDeadLetter(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).deadLetters.delete(name);
  console.log(`Deleted dead letter: ${name}`);
}
