import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  DomainError,
  hostCovers,
  ORGANIZATION_KIND,
  SERVICES,
  SYSTEM_ORG,
  type Caller,
  type Entity,
  type Organization,
  type OrganizationRequest,
  type OrganizationSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { AccessControl } from '@dispatch/auth';
import type { UpdateRequest } from '@dispatch/platform';
import { iamModel, IamEntities, inOrg } from './iam-entities.js';

/**
 * Organisations (`/v1/iam/organization`): each is stored inside itself, so its record, policies, service
 * accounts and everything else of it share the org's part of the store.
 */
@Injectable()
export class OrganizationService {
  private readonly orgs: IamEntities<OrganizationSpec>;

  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Optional() private readonly access?: AccessControl,
  ) {
    this.orgs = new IamEntities(store, access, ORGANIZATION_KIND, 'organization');
  }

  /** Creating an organisation is an installation administrator's (the route is InstallationWide). */
  async create({ name, hosts }: OrganizationRequest): Promise<Organization> {
    if (name === SYSTEM_ORG)
      throw new DomainError('INVALID_ARGUMENT', `organization ${SYSTEM_ORG} is reserved for Dispatch itself`);
    // An org's events travel on `<org>.<type>` and the services' own announcements on `<service>.<kind>.
    // <verb>`: an org named after a service could publish onto the services' topics.
    if ((SERVICES as readonly string[]).includes(name))
      throw new DomainError(
        'INVALID_ARGUMENT',
        `organization ${name} is reserved: Dispatch's ${name} service publishes on topics named after it`,
      );
    const spec = await this.grants(name, hosts ?? []);
    return iamModel(await this.orgs.create(inOrg(name), { name }, spec));
  }

  async get(name: string): Promise<Organization> {
    return iamModel(await this.orgs.get(inOrg(name), name));
  }

  async exists(name: string): Promise<boolean> {
    return (await this.orgs.find(inOrg(name), name)) !== undefined;
  }

  /**
   * The organisations the caller may see (`get organization` in each): an installation administrator
   * sees all, an organisation's own administrator only theirs.
   */
  async list(caller?: Caller): Promise<Organization[]> {
    const all = await this.records();
    return all
      .filter((e) => !caller || !this.access || this.access.allows(caller, e.name, 'organization', 'get'))
      .map((e) => iamModel(e));
  }

  /** The name is the organisation's identity; what changes is the hosts it is granted. */
  async update(name: string, input: UpdateRequest<OrganizationRequest>): Promise<Organization> {
    const current = await this.orgs.forUpdate(inOrg(name), name, input);
    const spec = await this.grants(name, input.hosts ?? current.spec.hosts ?? []);
    return iamModel(await this.orgs.update(current, { spec }));
  }

  /** Refused while anything still lives in the organisation, so deleting one never strands its data. */
  async delete(name: string): Promise<Organization> {
    const current = await this.orgs.get(inOrg(name), name);
    const inside = (await this.store.list({ org: name })).filter((e) => e.id !== current.id);
    if (inside.length > 0) {
      const first = inside[0] as { kind: string; name: string };
      throw new DomainError(
        'REVISION_CONFLICT',
        `organization ${name} still holds ${inside.length} resource(s), e.g. ${first.kind} ${first.name}: delete them first`,
      );
    }
    await this.orgs.remove(current);
    return iamModel(current);
  }

  /** Every organisation record: one list across orgs, kept to the organisation records. */
  private async records(): Promise<Entity<OrganizationSpec>[]> {
    const all = await this.store.list<OrganizationSpec>({ kind: ORGANIZATION_KIND });
    return all.filter((e) => e.org === e.name);
  }

  /**
   * The hosts granted to `name`: a host (or `*.` domain) is granted to one organisation only, since
   * the gateway routes it before any path; an overlapping grant is refused naming its holder.
   */
  private async grants(name: string, hosts: string[]): Promise<OrganizationSpec> {
    const wanted = [...new Set(hosts)];
    if (wanted.length === 0) return {};
    for (const other of await this.records()) {
      if (other.name === name) continue;
      for (const host of wanted) {
        const held = (other.spec.hosts ?? []).find((h) => hostCovers(h, host) || hostCovers(host, h));
        if (held)
          throw new DomainError(
            'ALREADY_EXISTS',
            `host ${host} is already granted to organization ${other.name}` +
              (held === host ? '' : ` (as ${held})`),
          );
      }
    }
    return { hosts: wanted };
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
