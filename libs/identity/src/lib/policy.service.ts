import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  DomainError,
  POLICY_KIND,
  type Caller,
  type Policy,
  type policyRequest,
  type PolicySpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { AccessControl } from '@dispatch/auth';
import type { KindService, ListFilter, RequestScope, UpdateRequest } from '@dispatch/platform';
import type { z } from 'zod';
import { BootstrapService } from './bootstrap.service.js';
import { IamEntities } from './iam-entities.js';
import { OrganizationService } from './organization.service.js';

type PolicyRequest = z.output<typeof policyRequest>;

/**
 * Policies (`/v1/iam/policy`): rules of an org, or of every org when `global`. An org's own
 * administrator manages its org's policies; a global one (creating it, widening one to global, changing
 * or deleting one) is an installation administrator's, since it reaches every org.
 */
@Injectable()
export class PolicyService implements KindService<Policy, PolicyRequest> {
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
  async create(scope: RequestScope, input: PolicyRequest, caller?: Caller): Promise<Policy> {
    await this.orgs.mustExist(scope.org);
    const spec = { rules: input.rules, global: input.global ?? false };
    if (spec.global) this.mustBeInstallationAdmin(caller, 'create');
    const created = await this.policies.create(scope, { name: input.name, spec });
    await this.bootstrap.policyStored(spec);
    return this.policies.model(created);
  }

  async get(scope: RequestScope, name: string): Promise<Policy> {
    return this.policies.model(await this.policies.get(scope, name));
  }

  async list(scope: RequestScope, { tags }: ListFilter): Promise<Policy[]> {
    return (await this.policies.list(scope, tags)).map((e) => this.policies.model(e));
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<PolicyRequest>,
    caller?: Caller,
  ): Promise<Policy> {
    const current = await this.policies.forUpdate(scope, name, input);
    const spec = { rules: input.rules, global: input.global ?? current.spec.global };
    if (spec.global || current.spec.global) this.mustBeInstallationAdmin(caller, 'update');
    const updated = await this.policies.update(current, { spec });
    await this.bootstrap.policyStored(spec);
    return this.policies.model(updated);
  }

  async delete(scope: RequestScope, name: string, caller?: Caller): Promise<Policy> {
    const current = await this.policies.get(scope, name);
    if (current.spec.global) this.mustBeInstallationAdmin(caller, 'delete');
    await this.policies.remove(current);
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
