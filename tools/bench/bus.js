// Message bus: time from publish to the subscriber's handler, one at a time and under a stream.
import { randomUUID } from 'node:crypto';
import { now, summarise } from './stats.js';

export async function benchBus(bus, { count = 2000, streamCount = 10000 } = {}) {
  const topic = `bench-${randomUUID().slice(0, 8)}`;
  const arrivals = new Map();
  let received = 0;
  let streamDone;
  const sub = await bus.subscribe({
    topics: [topic],
    group: `bench-${randomUUID().slice(0, 8)}`,
    handler: async (m) => {
      received += 1;
      arrivals.get(m.value.id)?.();
      if (m.value.stream && received >= m.value.last) streamDone?.();
    },
  });

  // One message in flight at a time: the latency a single event sees.
  const samples = [];
  for (let i = 0; i < count; i += 1) {
    const id = `m${i}`;
    const arrived = new Promise((resolve) => arrivals.set(id, resolve));
    const t = now();
    await bus.publish(topic, [{ key: `k${i % 16}`, value: { id } }]);
    await arrived;
    arrivals.delete(id);
    samples.push(now() - t);
  }

  // A stream in batches of 100: sustained messages per second end to end.
  received = 0;
  const done = new Promise((resolve) => (streamDone = resolve));
  const t = now();
  for (let i = 0; i < streamCount; i += 100) {
    await bus.publish(
      topic,
      Array.from({ length: 100 }, (_, j) => ({
        key: `k${(i + j) % 16}`,
        value: { stream: true, last: streamCount },
      })),
    );
  }
  await done;
  const streamMs = now() - t;
  await sub.close();
  return {
    publish_to_receive: summarise(samples),
    stream: {
      messages: streamCount,
      ms: Math.round(streamMs),
      messages_per_s: Math.round((streamCount / streamMs) * 1000),
    },
  };
}
