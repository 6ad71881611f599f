import { DriverProblem, type DriverContext, type RunningDriver } from './running-driver.js';

/**
 * The shared secret a webhook's callers sign with: `secret` in its secrets (or, for a driver made
 * before settings could not hold it, its `secret` setting).
 */
export function webhookSecret(
  settings: Map<string, string>,
  secrets: Record<string, string>,
): string | undefined {
  return secrets['secret'] ?? settings.get('secret');
}

/**
 * The built-in webhook: nothing runs; the events API takes its POSTs (WebhookController). Starting it
 * checks that it has a secret to check signatures with.
 */
export function startWebhook(context: DriverContext): RunningDriver {
  if (!webhookSecret(context.settings, context.secrets))
    throw new DriverProblem(
      'a webhook needs a shared secret for signatures: --secret NAME of a secret holding {"secret": "..."}',
    );
  return { stop: async () => undefined };
}
