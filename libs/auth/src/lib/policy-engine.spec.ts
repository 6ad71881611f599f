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
});
