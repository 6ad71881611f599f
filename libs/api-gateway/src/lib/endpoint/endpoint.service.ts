import { Inject, Injectable } from '@nestjs/common';
import {
  DEFAULT_ORG,
  DomainError,
  ENDPOINT_KIND,
  ENDPOINT_PROTOCOLS,
  hostCovers,
  IAM_PROJECT,
  NAME_PATTERN,
  nameField,
  ORGANIZATION_KIND,
  tagsField,
  toApiModel,
  type Endpoint,
  type EndpointSpec,
  type Entity,
  type OrganizationSpec,
  type Tag,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { parseBody, requireSameName, type RequestScope } from '@dispatch/platform';
import { z } from 'zod';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const endpointBody = z.object({
  name: nameField,
  function: z
    .string({ error: 'function is required (the function the endpoint runs)' })
    .regex(NAME_PATTERN, 'function must name a function'),
  uris: z
    .array(
      z
        .string()
        .regex(/^\/[^\s?#]*$/, 'each path must start with / and hold no spaces, ? or #')
        .max(1024, 'a path may be 1024 characters at most'),
      { error: 'uris must be a list of paths' },
    )
    .min(1, 'at least one path is required (--path)'),
  methods: z
    .array(
      z.string().transform((m) => m.toUpperCase()),
      { error: 'methods must be a list' },
    )
    .min(1, 'at least one method is required (--method)')
    .refine((ms) => ms.every((m) => (HTTP_METHODS as readonly string[]).includes(m)), {
      message: `methods must be among ${HTTP_METHODS.join(', ')}`,
    }),
  hosts: z
    .array(
      z
        .string()
        .regex(
          /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i,
          'each host must be a domain name or address, without port',
        ),
    )
    .optional(),
  protocols: z
    .array(z.enum(ENDPOINT_PROTOCOLS, { error: 'protocols may be http and https' }))
    .min(1, 'at least one protocol is required')
    .optional(),
  cors: z.boolean({ error: 'cors must be true or false' }).optional(),
  enabled: z.boolean({ error: 'enabled must be true or false' }).optional(),
  forwardCredentials: z.boolean({ error: 'forwardCredentials must be true or false' }).optional(),
  tags: tagsField,
});

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
export class EndpointService {
  constructor(@Inject(ENTITY_STORE) private readonly store: EntityStore) {}

  async create(scope: RequestScope, body: unknown): Promise<Endpoint> {
    const input = this.parse(body);
    await this.mayClaim(scope, input.spec);
    await this.refuseClash(scope, input.name, input.spec);
    const entity = await this.store.create<EndpointSpec>({
      ...scope,
      kind: ENDPOINT_KIND,
      name: input.name,
      tags: input.tags,
      status: 'READY',
      spec: input.spec,
    });
    return toApiModel(entity);
  }

  async get(scope: RequestScope, name: string): Promise<Endpoint> {
    return toApiModel(await this.read(scope, name));
  }

  async list(scope: RequestScope, tags: Tag[], fn?: string): Promise<Endpoint[]> {
    const all = await this.store.list<EndpointSpec>({ ...scope, kind: ENDPOINT_KIND, tags });
    return all.filter((e) => fn === undefined || e.spec.function === fn).map((e) => toApiModel(e));
  }

  async update(scope: RequestScope, name: string, body: unknown): Promise<Endpoint> {
    const input = this.parse({ name, ...(body as object) });
    requireSameName('endpoint', input.name, name);
    const current = await this.read(scope, name);
    await this.mayClaim(scope, input.spec);
    await this.refuseClash(scope, name, input.spec);
    const updated = await this.store.update<EndpointSpec>({
      ...current,
      tags: input.tags ?? current.tags,
      spec: input.spec,
    });
    return toApiModel(updated);
  }

  async delete(scope: RequestScope, name: string): Promise<Endpoint> {
    const current = await this.read(scope, name);
    await this.store.delete(current, { revision: current.revision });
    return toApiModel(current);
  }

  private parse(body: unknown): { name: string; tags?: Tag[]; spec: EndpointSpec } {
    const input = parseBody(endpointBody, body, 'endpoint');
    return {
      name: input.name,
      tags: input.tags,
      spec: {
        function: input.function,
        uris: [...new Set(input.uris)],
        methods: [...new Set(input.methods)],
        hosts: [...new Set((input.hosts ?? []).map((h) => h.toLowerCase()))],
        protocols: input.protocols ?? ['http', 'https'],
        cors: input.cors ?? false,
        enabled: input.enabled ?? true,
        forwardCredentials: input.forwardCredentials ?? false,
      },
    };
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
    return this.store
      .get<OrganizationSpec>({ org: name, project: IAM_PROJECT, kind: ORGANIZATION_KIND, name })
      .catch((err: unknown) => {
        if (err instanceof DomainError && err.code === 'NOT_FOUND') return undefined;
        throw err;
      });
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

  /** The store's NOT_FOUND already names the kind, the name and the org/project. */
  private read(scope: RequestScope, name: string): Promise<Entity<EndpointSpec>> {
    return this.store.get<EndpointSpec>({ ...scope, kind: ENDPOINT_KIND, name });
  }
}
