import { describe, expect, it } from '@jest/globals';
import {
  apiPathOf,
  isUnder,
  ownerOfKind,
  peerUrlVariable,
  serviceOfPath,
  SERVICES,
  TOPOLOGY,
} from './topology.js';

describe('the topology table', () => {
  const all = SERVICES.map((service) => [service, TOPOLOGY[service]] as const);

  it('gives each service a port of its own', () => {
    const ports = all.map(([, s]) => s.port);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it("routes no path to two services, and keeps every path under its own service's routes", () => {
    for (const [service, { routes, exactRoutes = [], paths }] of all) {
      for (const [other, theirs] of all) {
        if (other === service) continue;
        for (const route of [...routes, ...exactRoutes])
          for (const their of [...theirs.routes, ...(theirs.exactRoutes ?? [])]) {
            expect([service, route, isUnder(route, their)]).toEqual([service, route, false]);
          }
      }
      for (const { prefix } of paths) {
        const routed = routes.some((route) => isUnder(prefix, route)) || exactRoutes.includes(prefix);
        expect([service, prefix, routed]).toEqual([service, prefix, true]);
      }
    }
  });

  it('has one owner for each kind, and peers that exist', () => {
    const kinds = all.flatMap(([, s]) => s.kinds);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const [service, { peers }] of all) {
      expect(peers).not.toContain(service);
      for (const peer of peers) expect(SERVICES).toContain(peer);
    }
    expect(ownerOfKind('image')).toBe('images');
    expect(ownerOfKind('run-hello')).toBeUndefined();
    expect(peerUrlVariable('api-gateway')).toBe('DISPATCH_API_GATEWAY_URL');
  });

  it('decides a path by its longest prefix, on whole path segments', () => {
    expect(serviceOfPath('/v1/event/subscriptions/a')).toBe('events');
    expect(serviceOfPath('/v1/images')).toBeUndefined();
    expect(serviceOfPath('/v1/image/x')).toBe('images');
    expect(serviceOfPath('/hello')).toBeUndefined();
    // The original's home page is identity's; what lies under it is an endpoint's.
    expect(serviceOfPath('/home')).toBe('identity');
    expect(serviceOfPath('/home/page')).toBeUndefined();
    expect(apiPathOf('/home')?.public).toBe(true);
    expect(apiPathOf('/home/page')).toBeUndefined();
    expect(apiPathOf('/v1/event/drivertypes/t')).toEqual({
      prefix: '/v1/event/drivertypes',
      resource: 'eventdrivertype',
    });
    expect(apiPathOf('/v1/event')?.resource).toBe('event');
    expect(apiPathOf('/v1/event/hooks/o/p/d')?.public).toBe(true);
    expect(apiPathOf('/healthz')?.public).toBe(true);
    expect(apiPathOf('/v1/nothing')).toBeUndefined();
  });
});
