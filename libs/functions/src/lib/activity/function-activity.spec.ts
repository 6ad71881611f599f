import { describe, expect, it } from '@jest/globals';
import { InProcessBus } from '@dispatch/messaging';
import { ACTIVITY_TOPIC, BusActivityRelay } from './bus-activity-relay.js';
import { FunctionActivity, quantile } from './function-activity.js';

const MINUTE = 60_000;
const now = Date.UTC(2026, 11, 1, 12, 30, 30);

describe('FunctionActivity', () => {
  it("counts a function's runs, errors and cold starts a minute at a time over the last hour", () => {
    const activity = new FunctionActivity();
    for (let i = 0; i < 10; i += 1)
      activity.record('acme/p/hello', { durationMs: 2, error: null }, now - 2 * MINUTE);
    activity.record('acme/p/hello', { durationMs: 400, error: { type: 'FunctionError' } }, now);
    activity.coldStart('acme/p/hello', now);
    activity.record('acme/p/other', { durationMs: 1, error: null }, now);

    const points = activity.of('acme/p/hello', now);
    expect(points).toHaveLength(60);
    expect(points.at(-1)).toMatchObject({ runs: 1, errors: 1, coldStarts: 1 });
    expect(points.at(-3)).toMatchObject({ runs: 10, errors: 0, coldStarts: 0 });
    expect(points.at(-2)).toMatchObject({ runs: 0, p50Ms: null, p99Ms: null });
    expect(points.at(-1)?.time).toBe(Math.floor(now / MINUTE) * MINUTE);
    // Another project's function of the same name is another function.
    expect(activity.of('acme/q/hello', now).every((p) => p.runs === 0)).toBe(true);
  });

  it('forgets what is older than an hour', () => {
    const activity = new FunctionActivity();
    activity.record('a/p/f', { durationMs: 1, error: null }, now - 61 * MINUTE);
    activity.record('a/p/f', { durationMs: 1, error: null }, now);
    expect(activity.of('a/p/f', now).reduce((sum, p) => sum + p.runs, 0)).toBe(1);
  });

  it('estimates percentiles from the duration buckets, as histogram_quantile does', () => {
    const activity = new FunctionActivity();
    for (let i = 0; i < 99; i += 1) activity.record('a/p/f', { durationMs: 3, error: null }, now);
    activity.record('a/p/f', { durationMs: 800, error: null }, now);
    const last = activity.of('a/p/f', now).at(-1);
    // 3 ms lies in the (2.5, 5] ms bucket; the slowest run in (500, 1000].
    expect(last?.p50Ms).toBeGreaterThan(2.5);
    expect(last?.p50Ms).toBeLessThanOrEqual(5);
    expect(last?.p99Ms).toBeLessThanOrEqual(5);
    expect(quantile(new Uint32Array(17), 0.5)).toBeNull();
  });
});

describe('BusActivityRelay: replicas of the functions service', () => {
  it("shows a function's last hour whichever replica is asked: each tells the others what it counted", async () => {
    const bus = new InProcessBus();
    const [a, b] = [new FunctionActivity(), new FunctionActivity()];
    const relays = [new BusActivityRelay(bus, a), new BusActivityRelay(bus, b)];
    await new Promise((r) => setTimeout(r, 50)); // both subscriptions live
    const at = Date.now();
    a.record('acme/web/hello', { durationMs: 3, error: null }, at);
    a.coldStart('acme/web/hello', at);
    b.record('acme/web/hello', { durationMs: 40, error: new Error('x') }, at);
    await Promise.all(relays.map((r) => r.share()));
    const total = (activity: FunctionActivity) =>
      activity
        .of('acme/web/hello')
        .reduce(
          (sum, p) => ({
            runs: sum.runs + p.runs,
            errors: sum.errors + p.errors,
            cold: sum.cold + p.coldStarts,
          }),
          { runs: 0, errors: 0, cold: 0 },
        );
    for (let i = 0; i < 100 && (total(a).runs < 2 || total(b).runs < 2); i += 1)
      await new Promise((r) => setTimeout(r, 20));
    expect(total(a)).toEqual({ runs: 2, errors: 1, cold: 1 });
    expect(total(b)).toEqual({ runs: 2, errors: 1, cold: 1 });
    // What was shared is not shared again, and a message of another shape changes nothing.
    expect(a.takeCounted()).toEqual([]);
    await bus.publish(ACTIVITY_TOPIC, [
      { key: 'x', value: { replica: 'x', deltas: [{ identity: 'a/b/c', runs: -5 }] } },
    ]);
    await new Promise((r) => setTimeout(r, 50));
    expect(total(b).runs).toBe(2);
    for (const relay of relays) await relay.onApplicationShutdown();
  });
});
