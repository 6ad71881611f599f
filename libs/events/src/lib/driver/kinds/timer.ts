import { Cron } from 'croner';
import { driverEvent, DriverProblem, type DriverContext, type RunningDriver } from './running-driver.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SHORTEST_MS = 100;

/** `500ms`, `10s`, `5m`, `1h`, or a number of seconds. */
function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!match)
    throw new DriverProblem(`interval ${JSON.stringify(text)} is not a duration: use e.g. 500ms, 10s or 5m`);
  return Number(match[1]) * (UNITS[match[2] ?? 's'] as number);
}

/**
 * The built-in timer: an event every `interval`, or on a `cron` schedule (five fields, or six with
 * seconds first). Its events are `timer.tick` unless `event-type` says otherwise, with the time as data.
 */
export function startTimer(context: DriverContext): RunningDriver {
  const interval = context.settings.get('interval');
  const cron = context.settings.get('cron');
  if ((interval === undefined) === (cron === undefined))
    throw new DriverProblem(
      'a timer needs one of interval (e.g. --set interval=10s) or cron (e.g. --set "cron=*/5 * * * *")',
    );
  const eventType = context.settings.get('event-type') ?? 'timer.tick';
  const tick = () =>
    context
      .emit(driverEvent(context.name, eventType, { driver: context.name, time: new Date().toISOString() }))
      .catch((err: unknown) => context.logger.warn(`timer ${context.name}: ${(err as Error).message}`));
  if (interval !== undefined) {
    const ms = durationMs(interval);
    if (ms < SHORTEST_MS)
      throw new DriverProblem(`interval ${interval} is too short: ${SHORTEST_MS}ms at least`);
    const timer = setInterval(tick, ms);
    return { stop: async () => clearInterval(timer) };
  }
  let job: Cron;
  try {
    job = new Cron(cron as string, { protect: true }, tick);
  } catch (err) {
    throw new DriverProblem(`cron ${JSON.stringify(cron)} is not a schedule: ${(err as Error).message}`);
  }
  return { stop: async () => job.stop() };
}
