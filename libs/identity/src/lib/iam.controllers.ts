import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import type { Caller, Organization, Policy, ServiceAccount } from '@dispatch/contracts';
import { CallerOf } from '@dispatch/auth';
import { InstallationWide, OrgFromPath, Resource, Scope, type RequestScope } from '@dispatch/platform';
import { OrganizationService } from './organization.service.js';
import { PolicyService } from './policy.service.js';
import { ServiceAccountService } from './service-account.service.js';

/**
 * `/v1/iam/organization`, as in the upstream identity-manager.yaml. Creating, changing (its hosts) and
 * deleting an organisation is an installation administrator's; reading one is decided by the policies
 * of the organisation in the path, not of the one in X-Dispatch-Org.
 */
@Controller('v1/iam/organization')
@Resource('organization')
export class OrganizationController {
  constructor(private readonly orgs: OrganizationService) {}

  @Post()
  @HttpCode(201)
  @InstallationWide()
  create(@Body() body: unknown): Promise<Organization> {
    return this.orgs.create(body);
  }

  @Get()
  list(@CallerOf() caller?: Caller): Promise<Organization[]> {
    return this.orgs.list(caller);
  }

  @Get(':name')
  @OrgFromPath('name')
  get(@Param('name') name: string): Promise<Organization> {
    return this.orgs.get(name);
  }

  @Put(':name')
  @InstallationWide()
  update(@Param('name') name: string, @Body() body: unknown): Promise<Organization> {
    return this.orgs.update(name, body);
  }

  @Delete(':name')
  @InstallationWide()
  delete(@Param('name') name: string): Promise<Organization> {
    return this.orgs.delete(name);
  }
}

/** `/v1/iam/policy` of the org in X-Dispatch-Org. */
@Controller('v1/iam/policy')
@Resource('policy')
export class PolicyController {
  constructor(private readonly policies: PolicyService) {}

  @Post()
  @HttpCode(201)
  create(@Scope() scope: RequestScope, @Body() body: unknown, @CallerOf() caller?: Caller): Promise<Policy> {
    return this.policies.create(scope.org, body, caller);
  }

  @Get()
  list(@Scope() scope: RequestScope): Promise<Policy[]> {
    return this.policies.list(scope.org);
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<Policy> {
    return this.policies.get(scope.org, name);
  }

  @Put(':name')
  update(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @Body() body: unknown,
    @CallerOf() caller?: Caller,
  ): Promise<Policy> {
    return this.policies.update(scope.org, name, body, caller);
  }

  @Delete(':name')
  delete(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @CallerOf() caller?: Caller,
  ): Promise<Policy> {
    return this.policies.delete(scope.org, name, caller);
  }
}

/** `/v1/iam/serviceaccount` of the org in X-Dispatch-Org. */
@Controller('v1/iam/serviceaccount')
@Resource('serviceaccount')
export class ServiceAccountController {
  constructor(private readonly accounts: ServiceAccountService) {}

  @Post()
  @HttpCode(201)
  create(
    @Scope() scope: RequestScope,
    @Body() body: unknown,
    @CallerOf() caller?: Caller,
  ): Promise<ServiceAccount> {
    return this.accounts.create(scope.org, body, caller);
  }

  @Get()
  list(@Scope() scope: RequestScope): Promise<ServiceAccount[]> {
    return this.accounts.list(scope.org);
  }

  @Get(':name')
  get(@Scope() scope: RequestScope, @Param('name') name: string): Promise<ServiceAccount> {
    return this.accounts.get(scope.org, name);
  }

  @Put(':name')
  update(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @Body() body: unknown,
    @CallerOf() caller?: Caller,
  ): Promise<ServiceAccount> {
    return this.accounts.update(scope.org, name, body, caller);
  }

  @Delete(':name')
  delete(
    @Scope() scope: RequestScope,
    @Param('name') name: string,
    @CallerOf() caller?: Caller,
  ): Promise<ServiceAccount> {
    return this.accounts.delete(scope.org, name, caller);
  }
}
