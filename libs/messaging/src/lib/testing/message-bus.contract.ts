import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DomainError } from '@dispatch/contracts';
import type { BusMessage, MessageBus } from '../message-bus.js';

const fresh = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Numbered {
  n: number;
}

/**
 * Follows each key's sequence numbers as a subscriber sees them. At-least-once allows a message to
 * come again after a restart, but a key must never skip ahead: each number is at most one past the
 * highest seen so far.
 */
function orderTracker() {
  const highest = new Map<string, number>();
  const violations: string[] = [];
  let received = 0;
  return {
    see(m: BusMessage<Numbered>) {
      received += 1;
      const top = highest.get(m.key) ?? -1;
      if (m.value.n > top + 1) violations.push(`${m.key}: ${m.value.n} after ${top}`);
      highest.set(m.key, Math.max(top, m.value.n));
    },
    highest,
    violations,
    get received() {
      return received;
    },
  };
}

export function describeMessageBusContract(name: string, open: () => Promise<MessageBus>, scale = 1): void {
  describe(`${name} message bus contract`, () => {
    let bus: MessageBus;

    beforeAll(async () => {
      bus = await open();
    });

    afterAll(async () => {
      await bus.close();
    });

    it('delivers what was published, with key, value and headers', async () => {
      const topic = fresh('t');
      const got: BusMessage[] = [];
      const sub = await bus.subscribe({
        topics: [topic],
        group: fresh('g'),
        handler: async (m) => void got.push(m),
      });
      await bus.publish(topic, [
        { key: 'k1', value: { hello: 'world' }, headers: { 'ce-type': 'test.event' } },
      ]);
      await until('one message', () => got.length === 1, 10_000);
      // Live from subscribe until close, never interrupted while the bus stays up.
      expect({ live: sub.live, interruptions: sub.interruptions }).toEqual({ live: true, interruptions: 0 });
      await sub.close();
      expect(sub.live).toBe(false);
      expect(got[0]).toMatchObject({
        topic,
        key: 'k1',
        value: { hello: 'world' },
        headers: { 'ce-type': 'test.event' },
      });
      expect(got[0]?.timestamp).toBeGreaterThan(0);
    });

    it('starts a new group at the latest message unless asked for the earliest', async () => {
      const topic = fresh('t');
      await bus.publish(topic, [{ key: 'k', value: { n: 0 } }]);
      const latest: unknown[] = [];
      const earliest: unknown[] = [];
      const a = await bus.subscribe({
        topics: [topic],
        group: fresh('g'),
        handler: async (m) => void latest.push(m.value),
      });
      const b = await bus.subscribe({
        topics: [topic],
        group: fresh('g'),
        from: 'earliest',
        handler: async (m) => void earliest.push(m.value),
      });
      await bus.publish(topic, [{ key: 'k', value: { n: 1 } }]);
      await until('both groups', () => latest.length === 1 && earliest.length === 2, 10_000);
      await Promise.all([a.close(), b.close()]);
      expect(latest).toEqual([{ n: 1 }]);
      expect(earliest).toEqual([{ n: 0 }, { n: 1 }]);
    });

    it("tells a group's lag: what was published to it and is not handled yet", async () => {
      const topic = fresh('t');
      const group = fresh('g');
      let handling = false;
      const handled: unknown[] = [];
      const sub = await bus.subscribe({
        topics: [topic],
        group,
        handler: async (m) => {
          if (!handling) throw new Error('not yet');
          handled.push(m.value);
        },
      });
      expect(await bus.lag(group, [topic])).toBe(0);
      await bus.publish(
        topic,
        [1, 2, 3].map((n) => ({ key: `k${n}`, value: { n } })),
      );
      const lagBecomes = async (n: number) => {
        const deadline = Date.now() + 20_000;
        let lag = await bus.lag(group, [topic]);
        while (lag !== n && Date.now() < deadline) {
          await sleep(100);
          lag = await bus.lag(group, [topic]);
        }
        return lag;
      };
      expect(await lagBecomes(3)).toBe(3);
      handling = true;
      await until('the three handled', () => handled.length === 3, 20_000);
      // Handled and committed: nothing left behind.
      expect(await lagBecomes(0)).toBe(0);
      await sub.close();
      // A group that never consumed the topic is behind on nothing.
      expect(await bus.lag(fresh('g'), [topic])).toBe(0);
    }, 60_000);

    it('gives every group every message and shares a group between its members', async () => {
      const topic = fresh('t');
      const group = fresh('g');
      const byMember: [number, number] = [0, 0];
      const other: number[] = [];
      const m0 = await bus.subscribe({
        topics: [topic],
        group,
        handler: async () => void (byMember[0] += 1),
      });
      const m1 = await bus.subscribe({
        topics: [topic],
        group,
        handler: async () => void (byMember[1] += 1),
      });
      const o = await bus.subscribe({
        topics: [topic],
        group: fresh('g'),
        handler: async (m) => void other.push((m.value as Numbered).n),
      });
      const count = 60;
      await bus.publish(
        topic,
        Array.from({ length: count }, (_, n) => ({ key: `key-${n % 12}`, value: { n } })),
      );
      await until('all messages', () => byMember[0] + byMember[1] >= count && other.length >= count, 20_000);
      await Promise.all([m0.close(), m1.close(), o.close()]);
      expect(byMember[0] + byMember[1]).toBe(count);
      expect(byMember[0]).toBeGreaterThan(0);
      expect(byMember[1]).toBeGreaterThan(0);
      expect([...other].sort((x, y) => x - y)).toEqual(Array.from({ length: count }, (_, n) => n));
    });

    it('redelivers a message whose handler failed, holding back that key until it succeeds', async () => {
      const topic = fresh('t');
      const seen: string[] = [];
      let failures = 0;
      const sub = await bus.subscribe<Numbered>({
        topics: [topic],
        group: fresh('g'),
        handler: async (m) => {
          if (m.key === 'a' && m.value.n === 1 && failures < 2) {
            failures += 1;
            throw new Error('not yet');
          }
          seen.push(`${m.key}${m.value.n}`);
        },
      });
      await bus.publish(
        topic,
        [0, 1, 2, 3].map((n) => ({ key: 'a', value: { n } })),
      );
      await until('four messages', () => seen.length >= 4, 15_000);
      await sub.close();
      expect(failures).toBe(2);
      expect(seen).toEqual(['a0', 'a1', 'a2', 'a3']);
    });

    it('keeps order per key across many keys', async () => {
      const topic = fresh('t');
      const order = orderTracker();
      const sub = await bus.subscribe<Numbered>({
        topics: [topic],
        group: fresh('g'),
        handler: async (m) => order.see(m),
      });
      const keys = 20;
      const perKey = 50;
      for (let n = 0; n < perKey; n += 1) {
        await bus.publish(
          topic,
          Array.from({ length: keys }, (_, k) => ({ key: `key-${k}`, value: { n } })),
        );
      }
      await until('every message', () => order.received >= keys * perKey, 30_000);
      await sub.close();
      expect(order.violations).toEqual([]);
      expect([...order.highest.values()]).toEqual(Array(keys).fill(perKey - 1));
    });

    it(`loses nothing and keeps key order across a consumer restart (${10_000 * scale} messages)`, async () => {
      const topic = fresh('t');
      const group = fresh('g');
      const total = 10_000 * scale;
      const keys = 50;
      const order = orderTracker();
      const subscribe = () =>
        bus.subscribe<Numbered>({
          topics: [topic],
          group,
          from: 'earliest',
          handler: async (m) => order.see(m),
        });
      let sub = await subscribe();
      const batch = 500;
      let restarted = false;
      for (let start = 0; start < total; start += batch) {
        const messages = Array.from({ length: batch }, (_, i) => {
          const seq = start + i;
          return { key: `key-${seq % keys}`, value: { n: Math.floor(seq / keys) } };
        });
        await bus.publish(topic, messages);
        if (!restarted && start >= total / 2) {
          restarted = true;
          await sub.close();
          sub = await subscribe();
        }
      }
      await until(
        'every message',
        () => [...order.highest.values()].every((h) => h === total / keys - 1) && order.highest.size === keys,
        120_000,
      );
      await sub.close();
      expect(order.violations).toEqual([]);
      expect(order.received).toBeGreaterThanOrEqual(total);
    }, 180_000);

    it('refuses a bad topic, a missing key and a value that is not JSON, naming the problem', async () => {
      const codeOf = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as DomainError).code;
      expect(await codeOf(bus.publish('bad topic!', [{ key: 'k', value: 1 }]))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(bus.publish(fresh('t'), [{ key: '', value: 1 }]))).toBe('INVALID_ARGUMENT');
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      const err = (await bus
        .publish(fresh('t'), [{ key: 'k', value: cyclic }])
        .catch((e: unknown) => e)) as DomainError;
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toContain('not JSON');
      expect(await codeOf(bus.subscribe({ topics: [], group: 'g', handler: async () => undefined }))).toBe(
        'INVALID_ARGUMENT',
      );
    });
  });
}
