import { Inject, Injectable } from '@nestjs/common';
import {
  DEFAULT_ORG,
  DomainError,
  ENDPOINT_KIND,
  IAM_PROJECT,
  NAME_PATTERN,
  ORGANIZATION_KIND,
  hostCovers,
  toApiModel,
  type Endpoint,
  type EndpointRequest,
  type EndpointSpec,
  type Entity,
  type OrganizationSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { KindCrud, KindRepository, type RequestScope, type UpdateRequest } from '@dispatch/platform';

/** A route an endpoint claims: unique per org (or per host, across orgs), so no request is ambiguous. */
function claims(endpoint: Pick<Entity<EndpointSpec>, 'org' | 'spec'>): string[] {
  const { spec } = endpoint;
  const hosts = spec.hosts.length
    ? spec.hosts.map((h) => `host:${h.toLowerCase()}`)
    : [`org:${endpoint.org}`];
  return hosts.flatMap((h) => spec.uris.flatMap((uri) => spec.methods.map((m) => `${h} ${m} ${uri}`)));
}

/**
 * Endpoints: a function behind HTTP paths, methods and hosts, served by the gateway. Routes are shared
 * by every organisation, so an endpoint may claim only what is its organisation's: hosts an operator
 * granted it, and (for the default org, served at the root) no path under another organisation's
 * `/<org>/`.
 */
@Injectable()
export class EndpointService extends KindCrud<EndpointSpec, Endpoint, EndpointRequest> {
  private readonly organizations: KindRepository<OrganizationSpec>;

  constructor(@Inject(ENTITY_STORE) private readonly store: EntityStore) {
    super(new KindRepository(store, ENDPOINT_KIND, 'endpoint'));
    this.organizations = new KindRepository(store, ORGANIZATION_KIND, 'organization');
  }

  async create(scope: RequestScope, input: EndpointRequest): Promise<Endpoint> {
    const spec = specOf(input);
    await this.mayClaim(scope, spec);
    await this.refuseClash(scope, input.name, spec);
    return this.model(await this.entities.create(scope, input, spec, 'READY'));
  }

  async update(scope: RequestScope, name: string, input: UpdateRequest<EndpointRequest>): Promise<Endpoint> {
    const spec = specOf(input);
    const current = await this.entities.forUpdate(scope, name, input);
    await this.mayClaim(scope, spec);
    await this.refuseClash(scope, name, spec);
    return this.model(await this.entities.update(current, { tags: input.tags, spec }));
  }

  protected model(entity: Entity<EndpointSpec>): Endpoint {
    return toApiModel(entity);
  }

  /**
   * Refuses a host the org was not granted (403: only an operator grants hosts), and a default-org path
   * under an organisation's prefix (409: that prefix is where the organisation's endpoints are served).
   */
  private async mayClaim(scope: RequestScope, spec: EndpointSpec): Promise<void> {
    if (spec.hosts.length > 0) {
      const grants = (await this.organization(scope.org))?.spec.hosts ?? [];
      const stranger = spec.hosts.find((host) => !grants.some((grant) => hostCovers(grant, host)));
      if (stranger !== undefined)
        throw new DomainError(
          'FORBIDDEN',
          `host ${stranger} is not granted to organization ${scope.org}: an installation administrator grants hosts ` +
            `(dispatch iam update organization ${scope.org} --host ${stranger})`,
        );
    }
    if (scope.org !== DEFAULT_ORG) return;
    for (const uri of spec.uris) {
      const slash = uri.indexOf('/', 1);
      const first = slash > 1 ? uri.slice(1, slash) : undefined;
      if (first !== undefined && NAME_PATTERN.test(first) && (await this.organization(first)))
        throw new DomainError(
          'ALREADY_EXISTS',
          `path ${uri}: /${first}/ belongs to organization ${first}, whose endpoints are served there`,
        );
    }
  }

  private organization(name: string): Promise<Entity<OrganizationSpec> | undefined> {
    return this.organizations.find({ org: name, project: IAM_PROJECT }, name);
  }

  /** Refuses a route another endpoint already answers: in the same org, or on the same host. */
  private async refuseClash(scope: RequestScope, name: string, spec: EndpointSpec): Promise<void> {
    const mine = new Set(claims({ org: scope.org, spec }));
    const others = await this.store.list<EndpointSpec>(
      spec.hosts.length ? { kind: ENDPOINT_KIND } : { org: scope.org, kind: ENDPOINT_KIND },
    );
    for (const other of others) {
      if (other.org === scope.org && other.project === scope.project && other.name === name) continue;
      const clash = claims(other).find((c) => mine.has(c));
      if (clash) {
        const route = clash.slice(clash.indexOf(' ') + 1);
        throw new DomainError(
          'ALREADY_EXISTS',
          `${route} is already served by endpoint ${other.name}` +
            (other.org === scope.org ? '' : ` of organization ${other.org}`),
        );
      }
    }
  }
}

/** What an endpoint stores of its request: lists without repeats, hosts in lower case, defaults filled. */
function specOf(input: UpdateRequest<EndpointRequest>): EndpointSpec {
  return {
    function: input.function,
    uris: [...new Set(input.uris)],
    methods: [...new Set(input.methods)],
    hosts: [...new Set((input.hosts ?? []).map((h) => h.toLowerCase()))],
    protocols: input.protocols ?? ['http', 'https'],
    cors: input.cors ?? false,
    enabled: input.enabled ?? true,
    forwardCredentials: input.forwardCredentials ?? false,
  };
}
