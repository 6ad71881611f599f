// One of several processes taking the same etcd lock in turns (etcd-store.int-spec.ts): each turn is
// written to a shared file as an enter and an exit line, which must never interleave.
import { appendFileSync } from 'node:fs';
import { EtcdEntityStore } from '@dispatch/entity-store';

const [endpoints, lockName, file, turns] = process.argv.slice(2);
const store = new EtcdEntityStore({ endpoints: endpoints.split(',') });
for (let i = 0; i < Number(turns); i += 1) {
  const lock = await store.lock(lockName, { ttlSeconds: 10, timeoutMs: 30_000 });
  appendFileSync(file, `enter ${process.pid}\n`);
  await new Promise((r) => setTimeout(r, 5 + Math.random() * 15));
  appendFileSync(file, `exit ${process.pid}\n`);
  await lock.release();
}
await store.close();
