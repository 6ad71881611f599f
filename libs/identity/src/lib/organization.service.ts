import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  DomainError,
  ORGANIZATION_KIND,
  SYSTEM_ORG,
  type Organization,
  type OrganizationSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { AccessControl } from '@dispatch/auth';
import { parseBody } from '@dispatch/platform';
import { IamEntities } from './iam-entities.js';
import { organizationBody } from './iam-input.js';

/**
 * Organisations (`/v1/iam/organization`): each is stored inside itself, so its record, policies, service
 * accounts and everything else of it share the org's part of the store.
 */
@Injectable()
export class OrganizationService {
  private readonly orgs: IamEntities<OrganizationSpec>;

  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Optional() access?: AccessControl,
  ) {
    this.orgs = new IamEntities(store, access, ORGANIZATION_KIND, 'organization');
  }

  async create(body: unknown): Promise<Organization> {
    const { name } = parseBody(organizationBody, body, 'organization');
    if (name === SYSTEM_ORG)
      throw new DomainError('INVALID_ARGUMENT', `organization ${SYSTEM_ORG} is reserved for Dispatch itself`);
    return this.orgs.model(await this.orgs.create(name, name, {}));
  }

  async get(name: string): Promise<Organization> {
    return this.orgs.model(await this.orgs.get(name, name));
  }

  async exists(name: string): Promise<boolean> {
    return (await this.orgs.find(name, name)) !== undefined;
  }

  /** Every organisation: one list across orgs, kept to the organisation records. */
  async list(): Promise<Organization[]> {
    const all = await this.store.list<OrganizationSpec>({ kind: ORGANIZATION_KIND });
    return all.filter((e) => e.org === e.name).map((e) => this.orgs.model(e));
  }

  /** Nothing of the organisation changes but its tags; the name is its identity. */
  async update(name: string, body: unknown): Promise<Organization> {
    const input = parseBody(organizationBody, { name, ...(body as object) }, 'organization');
    if (input.name !== name)
      throw new DomainError(
        'INVALID_ARGUMENT',
        `the body names organization ${input.name}, the path ${name}`,
      );
    const current = await this.orgs.get(name, name);
    return this.orgs.model(await this.orgs.update(current, {}));
  }

  /** Refused while anything still lives in the organisation, so deleting one never strands its data. */
  async delete(name: string): Promise<Organization> {
    const current = await this.orgs.get(name, name);
    const inside = (await this.store.list({ org: name })).filter((e) => e.id !== current.id);
    if (inside.length > 0) {
      const first = inside[0] as { kind: string; name: string };
      throw new DomainError(
        'REVISION_CONFLICT',
        `organization ${name} still holds ${inside.length} resource(s), e.g. ${first.kind} ${first.name}: delete them first`,
      );
    }
    await this.orgs.delete(current);
    return this.orgs.model(current);
  }

  /** The 404 a policy or service account gets in an organisation that does not exist. */
  async mustExist(name: string): Promise<void> {
    if (!(await this.exists(name)))
      throw new DomainError(
        'NOT_FOUND',
        `organization ${name} does not exist: create it first (dispatch iam create organization ${name})`,
      );
  }
}
