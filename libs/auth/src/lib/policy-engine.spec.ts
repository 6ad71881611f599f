import { describe, expect, it } from '@jest/globals';
import { PolicyEngine, type PolicyEntry } from './policy-engine.js';

const policy = (
  org: string,
  name: string,
  rules: PolicyEntry['spec']['rules'],
  global = false,
): PolicyEntry => ({
  org,
  name,
  spec: { rules, global },
});

describe('PolicyEngine', () => {
  const engine = new PolicyEngine();
  engine.load([
    policy('acme', 'readers', [
      { subjects: ['ann@acme.io', 'group:viewers'], resources: ['*'], actions: ['get'] },
    ]),
    policy('acme', 'deployers', [
      { subjects: ['acme/ci'], resources: ['function', 'image'], actions: ['*'] },
    ]),
    policy('system', 'admins', [{ subjects: ['root@dispatch'], resources: ['*'], actions: ['*'] }], true),
  ]);
  const decide = (org: string, subjects: string[], resource: string, action: string) =>
    engine.decide({ org, subjects, resource, action });

  it('allows what a rule of the org names, and nothing else', () => {
    expect(decide('acme', ['ann@acme.io'], 'function', 'get')).toMatchObject({
      allowed: true,
      reason: 'policy readers',
    });
    expect(decide('acme', ['ann@acme.io'], 'function', 'create').allowed).toBe(false);
    expect(decide('acme', ['ann@acme.io'], 'function', 'exec').allowed).toBe(false);
    expect(decide('acme', ['acme/ci'], 'function', 'exec').allowed).toBe(true);
    expect(decide('acme', ['acme/ci'], 'secret', 'get').allowed).toBe(false);
  });

  it('matches groups as subjects', () => {
    expect(decide('acme', ['bob@acme.io', 'group:viewers'], 'secret', 'get').allowed).toBe(true);
    expect(decide('acme', ['bob@acme.io', 'group:editors'], 'secret', 'get').allowed).toBe(false);
  });

  it('keeps orgs apart unless a policy is global', () => {
    expect(decide('other', ['ann@acme.io'], 'function', 'get').allowed).toBe(false);
    expect(decide('other', ['root@dispatch'], 'secret', 'delete')).toMatchObject({
      allowed: true,
      reason: 'policy admins (global)',
    });
  });

  it('says who may not do what, where, when it denies', () => {
    expect(decide('acme', ['eve@evil.io'], 'secret', 'get').reason).toBe(
      'eve@evil.io may not get secret in organization acme: no policy allows it',
    );
  });

  it('lets `use` of a secret come from `use` or `get`, and nothing else', () => {
    const users = new PolicyEngine();
    users.load([
      policy('acme', 'runner', [{ subjects: ['acme/ci'], resources: ['secret'], actions: ['use'] }]),
      policy('acme', 'reader', [{ subjects: ['acme/ro'], resources: ['secret'], actions: ['get'] }]),
      policy('acme', 'writer', [{ subjects: ['acme/rw'], resources: ['secret'], actions: ['create'] }]),
    ]);
    const may = (subject: string, action: string) =>
      users.decide({ org: 'acme', subjects: [subject], resource: 'secret', action }).allowed;
    expect([may('acme/ci', 'use'), may('acme/ci', 'get')]).toEqual([true, false]);
    expect(may('acme/ro', 'use')).toBe(true);
    expect(may('acme/rw', 'use')).toBe(false);
  });

  it("decides what spans organisations on global policies alone, however wide an org's own are", () => {
    const engine = new PolicyEngine();
    engine.load([
      policy('acme', 'acme-admin', [{ subjects: ['acme/boss'], resources: ['*'], actions: ['*'] }]),
      policy('acme', 'ops', [{ subjects: ['acme/ops'], resources: ['organization'], actions: ['*'] }], true),
    ]);
    expect(engine.decideGlobally({ subjects: ['acme/boss'], resource: 'policy', action: 'create' })).toEqual({
      allowed: false,
      reason:
        'acme/boss may not create policy: only an installation administrator (allowed by a global policy) may',
    });
    expect(
      engine.decideGlobally({ subjects: ['acme/ops'], resource: 'organization', action: 'delete' }),
    ).toEqual({ allowed: true, reason: 'policy ops (global)' });
    expect(engine.namedExplicitlyGlobally('acme/ops')).toBe(true);
    expect(engine.namedExplicitlyGlobally('acme/boss')).toBe(false);
  });
});
