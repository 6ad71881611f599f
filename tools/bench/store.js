// Entity store: create, get, update latency and throughput, and how long a change takes to reach a watcher.
import { randomUUID } from 'node:crypto';
import { measure, now, summarise } from './stats.js';

export async function benchStore(store, { count = 2000, concurrency = 16 } = {}) {
  const org = `bench-${randomUUID().slice(0, 8)}`;
  const ref = (i) => ({ org, project: 'default', kind: 'function', name: `f${i}` });
  const spec = { handler: './hello.js', image: 'nodejs', timeout: 10000 };

  // Latency one at a time, throughput with `concurrency` in flight.
  const createSeq = await measure(count / 2, 1, (i) => store.create({ ...ref(i), spec }));
  const createPar = await measure(count / 2, concurrency, (i) =>
    store.create({ ...ref(count / 2 + i), spec }),
  );
  const getSeq = await measure(count / 2, 1, (i) => store.get(ref(i)));
  const getPar = await measure(count, concurrency, (i) => store.get(ref(i)));
  const revisions = new Map();
  const updateSeq = await measure(count / 2, 1, async (i) => {
    const e = await store.get(ref(i));
    revisions.set(i, (await store.update({ ...e, spec: { ...spec, v: 2 } })).revision);
  });
  const updatePar = await measure(count / 2, concurrency, async (i) => {
    const e = await store.get(ref(count / 2 + i));
    await store.update({ ...e, spec: { ...spec, v: 2 } });
  });

  // Watch: time from starting an update to its event arriving at a watcher of the org.
  const pending = new Map();
  const watch = await store.watch(
    { org },
    {
      onEvent: (e) => {
        const name = e.type === 'put' ? e.entity.name : e.ref.name;
        pending.get(name)?.();
      },
    },
  );
  const watchSamples = [];
  for (let i = 0; i < Math.min(500, count / 2); i += 1) {
    const e = await store.get(ref(i));
    const t = now();
    const arrived = new Promise((resolve) => pending.set(e.name, resolve));
    await store.update({ ...e, spec: { ...spec, v: 3 } });
    await arrived;
    pending.delete(e.name);
    watchSamples.push(now() - t);
  }
  await watch.close();

  const listStart = now();
  const listed = await store.list({ org, project: 'default', kind: 'function' });
  const listMs = now() - listStart;

  return {
    create: { sequential: createSeq, [`concurrent_${concurrency}`]: createPar },
    get: { sequential: getSeq, [`concurrent_${concurrency}`]: getPar },
    update: { sequential: updateSeq, [`concurrent_${concurrency}`]: updatePar },
    watch_latency: summarise(watchSamples),
    list: { entities: listed.length, ms: Math.round(listMs * 1000) / 1000 },
  };
}
