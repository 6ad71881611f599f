// Writes entities to an embedded store as fast as it can, printing each name once the store has
// acknowledged it, until it is killed (embedded-store.int-spec.ts kills it with SIGKILL).
import { EmbeddedEntityStore } from '@dispatch/entity-store';

const store = await EmbeddedEntityStore.open({ dataDir: process.argv[2] });
const writes = [];
for (let i = 0; ; i += 1) {
  const name = `f${i}`;
  writes.push(
    store.create({ org: 'crash', project: 'default', kind: 'function', name, spec: { i } }).then(() => {
      process.stdout.write(`${name}\n`);
    }),
  );
  // Keep a few writes in flight at once, as a busy server would.
  if (writes.length >= 8) await writes.shift();
}
