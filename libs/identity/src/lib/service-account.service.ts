import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  SERVICE_ACCOUNT_KIND,
  type Caller,
  type ServiceAccount,
  type ServiceAccountSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { AccessControl } from '@dispatch/auth';
import { parseBody, requireSameName } from '@dispatch/platform';
import { IamEntities } from './iam-entities.js';
import { serviceAccountBody } from './iam-input.js';
import { OrganizationService } from './organization.service.js';

/**
 * Service accounts (`/v1/iam/serviceaccount`): machine identities of an org, each a registered RSA public
 * key whose private half signs the account's short-lived tokens (`iss = <org>/<name>`). An account that
 * a global policy names acts in every org, so its key is an installation administrator's to set: an
 * org's own administrator cannot make, re-key or replace it to borrow that reach.
 */
@Injectable()
export class ServiceAccountService {
  private readonly accounts: IamEntities<ServiceAccountSpec>;

  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    private readonly orgs: OrganizationService,
    @Optional() private readonly access?: AccessControl,
  ) {
    this.accounts = new IamEntities(store, access, SERVICE_ACCOUNT_KIND, 'service account');
  }

  async create(org: string, body: unknown, caller?: Caller): Promise<ServiceAccount> {
    const input = parseBody(serviceAccountBody, body, 'service account');
    await this.orgs.mustExist(org);
    this.mayChange(caller, org, input.name, 'create');
    const spec: ServiceAccountSpec = {
      publicKey: input.publicKey,
      ...(input.domain && { domain: input.domain }),
    };
    return this.accounts.model(await this.accounts.create(org, input.name, spec));
  }

  async get(org: string, name: string): Promise<ServiceAccount> {
    return this.accounts.model(await this.accounts.get(org, name));
  }

  async list(org: string): Promise<ServiceAccount[]> {
    return (await this.accounts.list(org)).map((e) => this.accounts.model(e));
  }

  /** Replaces the key (a rotation: tokens signed with the old one stop working) and the domain. */
  async update(org: string, name: string, body: unknown, caller?: Caller): Promise<ServiceAccount> {
    const input = parseBody(serviceAccountBody, { name, ...(body as object) }, 'service account');
    requireSameName('service account', input.name, name);
    const current = await this.accounts.get(org, name);
    this.mayChange(caller, org, name, 'update');
    const spec: ServiceAccountSpec = {
      publicKey: input.publicKey,
      ...(input.domain && { domain: input.domain }),
    };
    return this.accounts.model(await this.accounts.update(current, spec));
  }

  async delete(org: string, name: string, caller?: Caller): Promise<ServiceAccount> {
    const current = await this.accounts.get(org, name);
    this.mayChange(caller, org, name, 'delete');
    await this.accounts.delete(current);
    return this.accounts.model(current);
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
