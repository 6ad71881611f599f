import { Inject, Injectable, Optional } from '@nestjs/common';
import { DomainError, POLICY_KIND, type Caller, type Policy, type PolicySpec } from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { AccessControl } from '@dispatch/auth';
import { parseBody, requireSameName } from '@dispatch/platform';
import { BootstrapService } from './bootstrap.service.js';
import { IamEntities } from './iam-entities.js';
import { policyBody } from './iam-input.js';
import { OrganizationService } from './organization.service.js';

/**
 * Policies (`/v1/iam/policy`): rules of an org, or of every org when `global`. An org's own
 * administrator manages its org's policies; a global one (creating it, widening one to global, changing
 * or deleting one) is an installation administrator's, since it reaches every org.
 */
@Injectable()
export class PolicyService {
  private readonly policies: IamEntities<PolicySpec>;

  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    private readonly orgs: OrganizationService,
    private readonly bootstrap: BootstrapService,
    @Optional() private readonly access?: AccessControl,
  ) {
    this.policies = new IamEntities(store, access, POLICY_KIND, 'policy');
  }

  /** `caller` is absent for Dispatch's own writes (solo's first start), which are trusted. */
  async create(org: string, body: unknown, caller?: Caller): Promise<Policy> {
    const input = parseBody(policyBody, body, 'policy');
    await this.orgs.mustExist(org);
    const spec = { rules: input.rules, global: input.global ?? false };
    if (spec.global) this.mustBeInstallationAdmin(caller, 'create');
    const created = await this.policies.create(org, input.name, spec);
    await this.bootstrap.policyStored(spec);
    return this.policies.model(created);
  }

  async get(org: string, name: string): Promise<Policy> {
    return this.policies.model(await this.policies.get(org, name));
  }

  async list(org: string): Promise<Policy[]> {
    return (await this.policies.list(org)).map((e) => this.policies.model(e));
  }

  async update(org: string, name: string, body: unknown, caller?: Caller): Promise<Policy> {
    const input = parseBody(policyBody, { name, ...(body as object) }, 'policy');
    requireSameName('policy', input.name, name);
    const current = await this.policies.get(org, name);
    const spec = { rules: input.rules, global: input.global ?? current.spec.global };
    if (spec.global || current.spec.global) this.mustBeInstallationAdmin(caller, 'update');
    const updated = await this.policies.update(current, spec);
    await this.bootstrap.policyStored(spec);
    return this.policies.model(updated);
  }

  async delete(org: string, name: string, caller?: Caller): Promise<Policy> {
    const current = await this.policies.get(org, name);
    if (current.spec.global) this.mustBeInstallationAdmin(caller, 'delete');
    await this.policies.delete(current);
    return this.policies.model(current);
  }

  private mustBeInstallationAdmin(caller: Caller | undefined, action: string): void {
    if (!caller) return;
    if (!this.access)
      throw new DomainError('FORBIDDEN', 'global policies need access control in this process');
    this.access.authorizeInstallation(
      caller,
      'policy',
      action,
      `${caller.subjects[0] ?? 'anonymous'} may not ${action} a global policy: it applies in every organization, so only an installation administrator (allowed by a global policy) may`,
    );
  }
}
