import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Gate } from './gate.js';
import { freePort, ROOT, start, waitForHttp } from './processes.js';

const etcd = process.env.ETCD_ENDPOINTS;
const kafka = process.env.KAFKA_BROKERS;
const postgres = process.env.POSTGRES_URL;
if (!etcd || !kafka || !postgres)
  throw new Error('ETCD_ENDPOINTS, KAFKA_BROKERS and POSTGRES_URL must be set: run `npm test`');

const SERVICES = ['identity', 'images', 'functions', 'secrets', 'events', 'api-gateway'];
/** A route each service owns; the guard must refuse it without a credential in every one. */
const GUARDED: Record<string, string> = {
  identity: '/v1/iam/policy',
  images: '/v1/image',
  functions: '/v1/runs',
  secrets: '/v1/secret',
  events: '/v1/event/subscriptions',
  'api-gateway': '/v1/endpoint',
};

describe('distributed services', () => {
  it.each(SERVICES)(
    '%s boots on etcd and Kafka, reports ready, refuses a call without a credential, and stops cleanly',
    async (service) => {
      const port = await freePort();
      const proc = start(process.execPath, [join(ROOT, 'apps', service, 'dist/main.js')], {
        DISPATCH_PORT: String(port),
        DISPATCH_ETCD_ENDPOINTS: etcd,
        DISPATCH_KAFKA_BROKERS: kafka,
        DISPATCH_POSTGRES_URL: postgres,
        DISPATCH_GATEWAY_PORT: '0',
        DISPATCH_GATEWAY_TLS_PORT: '0',
      });
      try {
        const ready = await waitForHttp(`http://127.0.0.1:${port}/readyz`, proc, 200, 60_000);
        expect(await ready.json()).toEqual({
          status: 'ok',
          checks: { 'entity-store': { status: 'ok' }, 'message-bus': { status: 'ok' } },
        });
        const version = (await (await fetch(`http://127.0.0.1:${port}/v1/version`)).json()) as {
          shape: string;
        };
        expect(version.shape).toBe(service);
        const anonymous = await fetch(`http://127.0.0.1:${port}${GUARDED[service]}`);
        expect(anonymous.status).toBe(401);
      } finally {
        expect(await proc.stop()).toBe(0);
      }
    },
    90_000,
  );

  it('on SIGTERM, reports draining until it closes, then exits 0', async () => {
    const port = await freePort();
    const proc = start(process.execPath, [join(ROOT, 'apps/secrets/dist/main.js')], {
      DISPATCH_PORT: String(port),
      DISPATCH_ETCD_ENDPOINTS: etcd,
      DISPATCH_KAFKA_BROKERS: kafka,
      DISPATCH_SHUTDOWN_DELAY_MS: '1500',
    });
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, proc, 200, 60_000);
    const exited = proc.stop();
    await new Promise((r) => setTimeout(r, 300));
    const draining = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect({ status: draining.status, body: await draining.json() }).toEqual({
      status: 503,
      body: { status: 'draining', checks: {} },
    });
    expect(await exited).toBe(0);
  }, 60_000);

  it('each waits for etcd and Kafka that are still starting: not ready naming both, no exit, then ready', async () => {
    const etcdGate = await Gate.before(etcd);
    const kafkaGate = await Gate.before(kafka);
    const services = await Promise.all(
      SERVICES.map(async (service) => {
        const port = await freePort();
        const proc = start(process.execPath, [join(ROOT, 'apps', service, 'dist/main.js')], {
          DISPATCH_PORT: String(port),
          DISPATCH_ETCD_ENDPOINTS: `http://${etcdGate.address}`,
          DISPATCH_KAFKA_BROKERS: kafkaGate.address,
          DISPATCH_POSTGRES_URL: postgres,
          DISPATCH_GATEWAY_PORT: '0',
          DISPATCH_GATEWAY_TLS_PORT: '0',
        });
        return { service, proc, readyz: `http://127.0.0.1:${port}/readyz` };
      }),
    );
    try {
      for (const { proc, readyz } of services) {
        const res = await waitForHttp(readyz, proc, 503, 30_000);
        const report = (await res.json()) as { checks: Record<string, { status: string }> };
        expect(report.checks['entity-store']?.status).toBe('unavailable');
        expect(report.checks['message-bus']?.status).toBe('unavailable');
      }
      // Longer than a start that gives up takes: the functions service once exited after about 20 s.
      await new Promise((r) => setTimeout(r, 30_000));
      expect(
        services.filter(({ proc }) => proc.child.exitCode !== null).map(({ service }) => service),
      ).toEqual([]);
      await etcdGate.open();
      await kafkaGate.open();
      for (const { proc, readyz } of services) await waitForHttp(readyz, proc, 200, 90_000);
    } finally {
      for (const { proc } of services) await proc.stop();
      await etcdGate.close();
      await kafkaGate.close();
    }
  }, 240_000);

  it('fails fast on bad configuration, naming the variable', async () => {
    const proc = start(process.execPath, [join(ROOT, 'apps/events/dist/main.js')], { DISPATCH_PORT: 'http' });
    expect(await proc.exited).not.toBe(0);
    expect(proc.output()).toMatch(/DISPATCH_PORT: must be a port number/);
  });
});
