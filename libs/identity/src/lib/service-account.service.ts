import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  DomainError,
  SERVICE_ACCOUNT_KIND,
  type ServiceAccount,
  type ServiceAccountSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { AccessControl } from '@dispatch/auth';
import { parseBody } from '@dispatch/platform';
import { IamEntities } from './iam-entities.js';
import { serviceAccountBody } from './iam-input.js';
import { OrganizationService } from './organization.service.js';

/**
 * Service accounts (`/v1/iam/serviceaccount`): machine identities of an org, each a registered RSA public
 * key whose private half signs the account's short-lived tokens (`iss = <org>/<name>`).
 */
@Injectable()
export class ServiceAccountService {
  private readonly accounts: IamEntities<ServiceAccountSpec>;

  constructor(
    @Inject(ENTITY_STORE) store: EntityStore,
    private readonly orgs: OrganizationService,
    @Optional() access?: AccessControl,
  ) {
    this.accounts = new IamEntities(store, access, SERVICE_ACCOUNT_KIND, 'service account');
  }

  async create(org: string, body: unknown): Promise<ServiceAccount> {
    const input = parseBody(serviceAccountBody, body, 'service account');
    await this.orgs.mustExist(org);
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
  async update(org: string, name: string, body: unknown): Promise<ServiceAccount> {
    const input = parseBody(serviceAccountBody, { name, ...(body as object) }, 'service account');
    if (input.name !== name)
      throw new DomainError(
        'INVALID_ARGUMENT',
        `the body names service account ${input.name}, the path ${name}`,
      );
    const current = await this.accounts.get(org, name);
    const spec: ServiceAccountSpec = {
      publicKey: input.publicKey,
      ...(input.domain && { domain: input.domain }),
    };
    return this.accounts.model(await this.accounts.update(current, spec));
  }

  async delete(org: string, name: string): Promise<ServiceAccount> {
    const current = await this.accounts.get(org, name);
    await this.accounts.delete(current);
    return this.accounts.model(current);
  }
}
