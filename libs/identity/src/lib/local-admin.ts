import { Injectable } from '@nestjs/common';
import { DEFAULT_ORG, DomainError } from '@dispatch/contracts';
import { parseBody } from '@dispatch/platform';
import { BootstrapService } from './bootstrap.service.js';
import { inOrg } from './iam-entities.js';
import { OrganizationService } from './organization.service.js';
import { PolicyService } from './policy.service.js';
import { serviceAccountBody } from './public-key.js';
import { ServiceAccountService } from './service-account.service.js';

export const LOCAL_ADMIN = { org: DEFAULT_ORG, account: 'admin', policy: 'admin' };

/**
 * Solo's first start does the bootstrap itself for the local user: organisation `default`, service
 * account `default/admin` with the given key, and a global policy letting it do anything anywhere.
 * Nothing happens on an installation that was bootstrapped before.
 */
@Injectable()
export class LocalAdmin {
  constructor(
    private readonly bootstrap: BootstrapService,
    private readonly orgs: OrganizationService,
    private readonly accounts: ServiceAccountService,
    private readonly policies: PolicyService,
  ) {}

  needed(): Promise<boolean> {
    return this.bootstrap.started().then((started) => !started);
  }

  async create(publicKey: string): Promise<void> {
    if (!(await this.orgs.exists(LOCAL_ADMIN.org))) await this.orgs.create({ name: LOCAL_ADMIN.org });
    // A first start that stopped half-way left some of these: each is written again, not refused.
    const scope = inOrg(LOCAL_ADMIN.org);
    const account = parseBody(
      serviceAccountBody,
      { name: LOCAL_ADMIN.account, publicKey },
      'service account',
    );
    await this.accounts
      .create(scope, account)
      .catch(orElse(() => this.accounts.update(scope, account.name, account)));
    const policy = {
      name: LOCAL_ADMIN.policy,
      global: true,
      rules: [{ subjects: [`${LOCAL_ADMIN.org}/${LOCAL_ADMIN.account}`], resources: ['*'], actions: ['*'] }],
    };
    await this.policies
      .create(scope, policy)
      .catch(orElse(() => this.policies.update(scope, policy.name, policy)));
    await this.bootstrap.recordDone(publicKey);
  }
}

const orElse =
  (replace: () => Promise<unknown>) =>
  (err: unknown): Promise<unknown> => {
    if (err instanceof DomainError && err.code === 'ALREADY_EXISTS') return replace();
    throw err;
  };
