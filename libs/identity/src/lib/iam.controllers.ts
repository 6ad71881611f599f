import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  organizationRequest,
  policyRequest,
  type Caller,
  type Organization,
  type OrganizationRequest,
} from '@dispatch/contracts';
import {
  CallerOf,
  CrudRoutes,
  InstallationWide,
  OrgFromPath,
  Resource,
  ValidBody,
  type UpdateRequest,
} from '@dispatch/platform';
import { OrganizationService } from './organization.service.js';
import { PolicyService } from './policy.service.js';
import { serviceAccountBody } from './public-key.js';
import { ServiceAccountService } from './service-account.service.js';

/**
 * `/v1/iam/organization`, as in the upstream identity-manager.yaml. Creating, changing (its hosts) and
 * deleting an organisation is an installation administrator's; reading one is decided by the policies
 * of the organisation in the path, not of the one in X-Dispatch-Org. Its routes are its own: an
 * organisation is not in an organisation's scope.
 */
@Controller('v1/iam/organization')
@Resource('organization')
export class OrganizationController {
  constructor(private readonly orgs: OrganizationService) {}

  @Post()
  @HttpCode(201)
  @InstallationWide()
  create(
    @Body(new ValidBody(organizationRequest, 'organization')) body: OrganizationRequest,
  ): Promise<Organization> {
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
  update(
    @Param('name') name: string,
    @Body(new ValidBody(organizationRequest.partial({ name: true }), 'organization'))
    body: UpdateRequest<OrganizationRequest>,
  ): Promise<Organization> {
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
export class PolicyController extends CrudRoutes({
  service: PolicyService,
  body: policyRequest,
  what: 'policy',
}) {}

/** `/v1/iam/serviceaccount` of the org in X-Dispatch-Org. */
@Controller('v1/iam/serviceaccount')
@Resource('serviceaccount')
export class ServiceAccountController extends CrudRoutes({
  service: ServiceAccountService,
  body: serviceAccountBody,
  what: 'service account',
}) {}
