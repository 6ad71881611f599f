import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  DomainError,
  POLICY_KIND,
  type Caller,
  type Entity,
  type Policy,
  type PolicyRequest,
  type PolicySpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { AccessControl } from '@dispatch/auth';
import { KindCrud, type RequestScope, type UpdateRequest } from '@dispatch/platform';
import { BootstrapService } from './bootstrap.service.js';
import { iamModel, IamEntities } from './iam-entities.js';
import { OrganizationService } from './organization.service.js';

/**
 * Policies (`/v1/iam/policy`): rules of an org, or of every org when `global`. An org's own
 * administrator manages its org's policies; a global one (creating it, widening one to global, changing
 * or deleting one) is an installation administrator's, since it reaches every org.
 */
@Injectable()
export class PolicyService extends KindCrud<PolicySpec, Policy, PolicyRequest> {
  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    private readonly orgs: OrganizationService,
    private readonly bootstrap: BootstrapService,
    @Optional() private readonly access?: AccessControl,
  ) {
    super(new IamEntities(store, access, POLICY_KIND, 'policy'));
  }

  /** `caller` is absent for Dispatch's own writes (solo's first start), which are trusted. */
  async create(scope: RequestScope, input: PolicyRequest, caller?: Caller): Promise<Policy> {
    await this.orgs.mustExist(scope.org);
    const spec = { rules: input.rules, global: input.global ?? false };
    if (spec.global) this.mustBeInstallationAdmin(caller, 'create');
    const created = await this.entities.create(scope, input, spec);
    await this.bootstrap.policyStored(spec);
    return this.model(created);
  }

  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<PolicyRequest>,
    caller?: Caller,
  ): Promise<Policy> {
    const current = await this.entities.forUpdate(scope, name, input);
    const spec = { rules: input.rules, global: input.global ?? current.spec.global };
    if (spec.global || current.spec.global) this.mustBeInstallationAdmin(caller, 'update');
    const updated = await this.entities.update(current, { spec });
    await this.bootstrap.policyStored(spec);
    return this.model(updated);
  }

  override async delete(scope: RequestScope, name: string, caller?: Caller): Promise<Policy> {
    const current = await this.entities.get(scope, name);
    if (current.spec.global) this.mustBeInstallationAdmin(caller, 'delete');
    await this.entities.remove(current);
    return this.model(current);
  }

  protected model(entity: Entity<PolicySpec>): Policy {
    return iamModel(entity);
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
