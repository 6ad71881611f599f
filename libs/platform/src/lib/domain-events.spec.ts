import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EmbeddedEntityStore } from '@dispatch/entity-store';
import { InProcessBus, type BusMessage } from '@dispatch/messaging';
import { domainEventType, onDomainEvents, PublishingEntityStore, type DomainEvent } from './domain-events.js';

let dir: string;
let bus: InProcessBus;
let raw: EmbeddedEntityStore;
let store: PublishingEntityStore;
const heard: BusMessage<DomainEvent>[] = [];

/** Waits until `count` events have been heard. */
async function hear(count: number): Promise<BusMessage<DomainEvent>[]> {
  const deadline = Date.now() + 5_000;
  while (heard.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return heard.splice(0, count);
}

/** The test bus, but the publishes `wait` picks are held until `back()`. */
function heldBack(wait: () => boolean): { held: InProcessBus; back: () => void } {
  let back!: () => void;
  const away = new Promise<void>((resolve) => (back = resolve));
  const held = Object.create(bus) as InProcessBus;
  held.publish = async (topic, messages) => {
    if (wait()) await away;
    return bus.publish(topic, messages);
  };
  return { held, back };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dispatch-domain-events-'));
  bus = new InProcessBus();
  raw = await EmbeddedEntityStore.open({ dataDir: dir });
  store = new PublishingEntityStore(raw, bus);
  const types = ['created', 'updated', 'deleted'] as const;
  await onDomainEvents(
    bus,
    [...types.map((v) => domainEventType('secret', v)), ...types.map((v) => domainEventType('image', v))],
    'test',
    async (_event, message) => {
      heard.push(message);
    },
  ).settled;
});

afterAll(async () => {
  await store.close();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('domain events', () => {
  it('names each change after its owning service, keyed by org and name, in order', async () => {
    const ref = { org: 'acme', project: 'default', kind: 'image', name: 'nodejs' };
    const created = await store.create({ ...ref, spec: { baseImageName: 'node-base' }, status: 'CREATING' });
    await store.update({ ...created, status: 'READY' });
    await store.delete(ref);
    const events = await hear(3);
    expect(events.map((m) => [m.topic, m.key, m.value.status])).toEqual([
      ['images.image.created', 'acme/nodejs', 'CREATING'],
      ['images.image.updated', 'acme/nodejs', 'READY'],
      ['images.image.deleted', 'acme/nodejs', undefined],
    ]);
    expect(events[1]?.value).toMatchObject({
      type: 'images.image.updated',
      org: 'acme',
      project: 'default',
      kind: 'image',
      name: 'nodejs',
      revision: created.revision + 1,
    });
  });

  it("never carries the entity's spec: a secret's values stay off the bus", async () => {
    await store.create({
      org: 'acme',
      project: 'default',
      kind: 'secret',
      name: 'db',
      spec: { values: { password: 'hunter2' } },
      status: 'READY',
    });
    const [event] = await hear(1);
    expect(event?.topic).toBe('secrets.secret.created');
    expect(JSON.stringify(event?.value)).not.toContain('hunter2');
  });

  it('announces nothing for kinds no service owns, such as runs', async () => {
    await store.create({
      org: 'acme',
      project: 'default',
      kind: 'run',
      name: 'r1',
      spec: {},
      status: 'READY',
    });
    await store.create({
      org: 'acme',
      project: 'default',
      kind: 'secret',
      name: 'after',
      spec: {},
      status: 'READY',
    });
    // Only the secret is heard: the run came first and published nothing.
    const [event] = await hear(1);
    expect(event?.key).toBe('acme/after');
    expect(() => domainEventType('run', 'created')).toThrow('no service owns kind run');
  });

  it('answers a write while the bus is away, and announces it once the bus is back', async () => {
    // A bus whose publishes wait until it is back, as a producer does while its broker restarts.
    const { held, back } = heldBack(() => true);
    const writer = new PublishingEntityStore(raw, held);
    const written = await writer.create({
      org: 'acme',
      project: 'default',
      kind: 'secret',
      name: 'during-outage',
      spec: {},
      status: 'READY',
    });
    expect(written.name).toBe('during-outage');
    expect(heard).toHaveLength(0);
    back();
    const [event] = await hear(1);
    expect(event?.key).toBe('acme/during-outage');
  });

  it("keeps one entity's events in the order of its writes when the first is still going out", async () => {
    // The first publish waits for the bus; the second would have gone out at once.
    let first = true;
    const { held, back } = heldBack(() => {
      const wait = first;
      first = false;
      return wait;
    });
    const writer = new PublishingEntityStore(raw, held);
    const created = await writer.create({
      org: 'acme',
      project: 'default',
      kind: 'secret',
      name: 'ordered',
      spec: {},
      status: 'INITIALIZED',
    });
    await writer.update({ ...created, status: 'READY' });
    back();
    const events = await hear(2);
    expect(events.map((m) => `${m.topic} ${m.value.status}`)).toEqual([
      'secrets.secret.created INITIALIZED',
      'secrets.secret.updated READY',
    ]);
  }, 15_000);
});
