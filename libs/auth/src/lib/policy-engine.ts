import type { PolicySpec } from '@dispatch/contracts';

/** Who is asking to do what, where: what every API call is decided on. */
export interface AccessRequest {
  org: string;
  /** The caller's identity and groups, as rules name them (see PolicyRule). */
  subjects: readonly string[];
  /** The kind acted on: `function`, `secret`, `iam`, ... */
  resource: string;
  action: string;
}

/** A policy as the engine needs it: where it lives and what it says. */
export interface PolicyEntry {
  org: string;
  name: string;
  spec: PolicySpec;
}

export interface Decision {
  allowed: boolean;
  /** The policy that allowed it; or, when denied, why in words a user can act on. */
  reason: string;
}

const matches = (list: readonly string[], value: string) => list.includes('*') || list.includes(value);
/** Whoever may read a secret may hand it to a function: `get` allows `use`. */
const allowsAction = (actions: readonly string[], action: string) =>
  matches(actions, action) || (action === 'use' && actions.includes('get'));

/**
 * Decides access from policies, as the original Dispatch did: allowed when a rule of a policy of the
 * request's org, or of a global policy, names one of the caller's subjects, the resource and the action
 * (each list may hold `*`). Nothing is allowed by default, and nothing crosses orgs without a global
 * policy. Policies are indexed by org, so a decision reads only the org's and the global ones.
 */
export class PolicyEngine {
  private byOrg = new Map<string, PolicyEntry[]>();
  private global: PolicyEntry[] = [];
  private globalSubjects = new Set<string>();

  /** Replaces the policies the engine decides from. */
  load(policies: Iterable<PolicyEntry>): void {
    const byOrg = new Map<string, PolicyEntry[]>();
    const global: PolicyEntry[] = [];
    for (const policy of policies) {
      if (policy.spec.global) global.push(policy);
      else byOrg.set(policy.org, [...(byOrg.get(policy.org) ?? []), policy]);
    }
    this.byOrg = byOrg;
    this.global = global;
    this.globalSubjects = new Set(global.flatMap((p) => p.spec.rules.flatMap((r) => r.subjects)));
  }

  /** Whether a global policy names the subject (or everyone): what lets a service account cross orgs. */
  namedGlobally(subject: string): boolean {
    return this.globalSubjects.has(subject) || this.globalSubjects.has('*');
  }

  /**
   * Whether a global policy names the subject itself, not through `*`: such an account's key is an
   * installation-wide credential, which only an installation administrator may change.
   */
  namedExplicitlyGlobally(subject: string): boolean {
    return this.globalSubjects.has(subject);
  }

  decide(request: AccessRequest): Decision {
    // On every API call's path: no arrays built, the org's policies then the global ones.
    const allowedBy =
      firstAllowing(this.byOrg.get(request.org), request) ?? firstAllowing(this.global, request);
    if (allowedBy)
      return { allowed: true, reason: `policy ${allowedBy.name}${allowedBy.spec.global ? ' (global)' : ''}` };
    const who = request.subjects[0] ?? 'anonymous';
    return {
      allowed: false,
      reason: `${who} may not ${request.action} ${request.resource} in organization ${request.org}: no policy allows it`,
    };
  }

  /**
   * Decides on the global policies alone: what changes more than one organisation (global policies,
   * organisations and the hosts they may claim) needs an installation administrator, whatever an
   * organisation's own policies say.
   */
  decideGlobally(request: Omit<AccessRequest, 'org'>): Decision {
    const allowedBy = firstAllowing(this.global, { ...request, org: '' });
    if (allowedBy) return { allowed: true, reason: `policy ${allowedBy.name} (global)` };
    const who = request.subjects[0] ?? 'anonymous';
    return {
      allowed: false,
      reason: `${who} may not ${request.action} ${request.resource}: only an installation administrator (allowed by a global policy) may`,
    };
  }
}

function firstAllowing(policies: PolicyEntry[] | undefined, request: AccessRequest): PolicyEntry | undefined {
  if (!policies) return undefined;
  for (const policy of policies) {
    for (const rule of policy.spec.rules) {
      if (
        rule.subjects.some((s) => s === '*' || request.subjects.includes(s)) &&
        matches(rule.resources, request.resource) &&
        allowsAction(rule.actions, request.action)
      )
        return policy;
    }
  }
  return undefined;
}
