import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  SERVICE_ACCOUNT_KIND,
  type Caller,
  type Entity,
  type ServiceAccount,
  type ServiceAccountRequest,
  type ServiceAccountSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { AccessControl } from '@dispatch/auth';
import { KindCrud, type RequestScope, type UpdateRequest } from '@dispatch/platform';
import { iamModel, IamEntities } from './iam-entities.js';
import { OrganizationService } from './organization.service.js';

const specOf = (input: UpdateRequest<ServiceAccountRequest>): ServiceAccountSpec => ({
  publicKey: input.publicKey,
  ...(input.domain && { domain: input.domain }),
});

/**
 * Service accounts (`/v1/iam/serviceaccount`): machine identities of an org, each a registered RSA public
 * key whose private half signs the account's short-lived tokens (`iss = <org>/<name>`). An account that
 * a global policy names acts in every org, so its key is an installation administrator's to set: an
 * org's own administrator cannot make, re-key or replace it to borrow that reach.
 */
@Injectable()
export class ServiceAccountService extends KindCrud<
  ServiceAccountSpec,
  ServiceAccount,
  ServiceAccountRequest
> {
  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    private readonly orgs: OrganizationService,
    @Optional() private readonly access?: AccessControl,
  ) {
    super(new IamEntities(store, access, SERVICE_ACCOUNT_KIND, 'service account'));
  }

  async create(scope: RequestScope, input: ServiceAccountRequest, caller?: Caller): Promise<ServiceAccount> {
    await this.orgs.mustExist(scope.org);
    this.mayChange(caller, scope.org, input.name, 'create');
    return this.model(await this.entities.create(scope, input, specOf(input)));
  }

  /** Replaces the key (a rotation: tokens signed with the old one stop working) and the domain. */
  async update(
    scope: RequestScope,
    name: string,
    input: UpdateRequest<ServiceAccountRequest>,
    caller?: Caller,
  ): Promise<ServiceAccount> {
    const current = await this.entities.forUpdate(scope, name, input);
    this.mayChange(caller, scope.org, name, 'update');
    return this.model(await this.entities.update(current, { spec: specOf(input) }));
  }

  override async delete(scope: RequestScope, name: string, caller?: Caller): Promise<ServiceAccount> {
    const current = await this.entities.get(scope, name);
    this.mayChange(caller, scope.org, name, 'delete');
    await this.entities.remove(current);
    return this.model(current);
  }

  protected model(entity: Entity<ServiceAccountSpec>): ServiceAccount {
    return iamModel(entity);
  }

  /** An account a global policy names is an installation-wide credential (see the class comment). */
  private mayChange(caller: Caller | undefined, org: string, name: string, action: string): void {
    const subject = `${org}/${name}`;
    if (!caller || !this.access?.namedGlobally(subject)) return;
    this.access.authorizeInstallation(
      caller,
      'serviceaccount',
      action,
      `${caller.subjects[0] ?? 'anonymous'} may not ${action} service account ${subject}: a global policy names it, so only an installation administrator may`,
    );
  }
}
