import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { decodeJwt } from 'jose';
import {
  BOOTSTRAP_NAME,
  BOOTSTRAP_KIND,
  BOOTSTRAP_SUBJECT,
  DomainError,
  IAM_PROJECT,
  POLICY_KIND,
  SERVICE_ACCOUNT_KIND,
  SYSTEM_ORG,
  type BootstrapSpec,
  type Caller,
  type Entity,
  type PolicySpec,
  type ServiceAccountSpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { EntityCache } from '@dispatch/platform';
import { OidcTokens, type OidcSettings } from './oidc-tokens.js';
import { PolicyEngine } from './policy-engine.js';
import { refused, ServiceAccountTokens, type VerifiedToken } from './service-account-tokens.js';

export const ACCESS_CONFIG = Symbol('ACCESS_CONFIG');

export interface AccessConfig {
  /** The service this process is (`functions`, `solo`, ...): names its own service identity. */
  service?: string;
  /** Whether this process calls other services and so needs its own credential (ServiceIdentity). */
  serviceIdentity?: boolean;
  /** The OpenID provider whose ID tokens are credentials; without it, only key-signed tokens are. */
  oidc?: OidcSettings;
}

/** What the guard needs of a call. */
export interface AccessCheck {
  authorization: string | undefined;
  /** The org the call is made in (X-Dispatch-Org): a service account's token must be valid there. */
  org: string;
  /** The org the call acts on, when its path names one (an organisation route); else `org`. */
  target?: string;
  resource: string;
  action: string;
  /** Decided on global policies alone (what spans organisations). */
  installationWide?: boolean;
  /** Only prove the credential (`/v1/iam/auth` without an original call), deciding nothing. */
  authenticateOnly?: boolean;
}

/** A verified credential, kept until it expires so a client reusing a token pays one verification. */
interface Verified {
  caller: Caller;
  /** A service account's token: the org it was registered in, checked against each call's. */
  token?: VerifiedToken;
  expiresAt: number;
}

/** The resources the bootstrap identity may manage, and nothing else. */
const BOOTSTRAP_RESOURCES = new Set(['organization', 'policy', 'serviceaccount']);
const MAX_VERIFIED = 10_000;
const NO_CREDENTIAL =
  'this call needs a credential: run `dispatch login`, or send `Authorization: Bearer <token>`';

/**
 * Who may do what, decided for every API call in every service: the credential is authenticated (a
 * service account's RS256 token, an OpenID provider's ID token, or the bootstrap identity's token), then
 * the policies of the call's org and the global ones decide. Policies, accounts and the bootstrap record
 * are read from the entity store through watched caches, so a decision costs no network hop; verified
 * tokens are remembered until they expire, so a warm call costs a map lookup and the policy match.
 */
@Injectable()
export class AccessControl implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('access');
  private readonly engine = new PolicyEngine();
  private readonly policies: EntityCache<PolicySpec>;
  private readonly accounts: EntityCache<ServiceAccountSpec>;
  private readonly bootstrap: EntityCache<BootstrapSpec>;
  private readonly serviceAccountTokens: ServiceAccountTokens;
  private readonly oidc?: OidcTokens;
  private readonly verified = new Map<string, Verified>();

  constructor(@Inject(ENTITY_STORE) store: EntityStore, @Inject(ACCESS_CONFIG) config: AccessConfig) {
    const forget = () => this.verified.clear();
    this.policies = new EntityCache<PolicySpec>({
      name: 'policies',
      store,
      kind: POLICY_KIND,
      onChange: () =>
        this.engine.load(
          [...this.policies.values()].map((p) => ({ org: p.org, name: p.name, spec: p.spec })),
        ),
    });
    // A deleted account, a rotated key or the end of bootstrap mode must not live on in remembered tokens.
    this.accounts = new EntityCache({
      name: 'accounts',
      store,
      kind: SERVICE_ACCOUNT_KIND,
      onChange: forget,
    });
    this.bootstrap = new EntityCache({ name: 'bootstrap', store, kind: BOOTSTRAP_KIND, onChange: forget });
    this.serviceAccountTokens = new ServiceAccountTokens({
      publicKey: async (org, account) => {
        await this.accounts.loaded;
        return this.accounts.get({ org, project: IAM_PROJECT, name: account })?.spec.publicKey;
      },
    });
    if (config.oidc) this.oidc = new OidcTokens(config.oidc);
  }

  onModuleInit(): void {
    this.policies.start();
    this.accounts.start();
    this.bootstrap.start();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.policies.stop(), this.accounts.stop(), this.bootstrap.stop()]);
  }

  /** Whether an OpenID provider is configured: what `dispatch login` without a key needs. */
  get oidcSettings(): OidcSettings | undefined {
    return this.oidc?.settings;
  }

  /** Takes what this process just wrote, ahead of the watch, so the next call is decided on it. */
  offer(entity: Entity<unknown>): void {
    if (entity.kind === POLICY_KIND) this.policies.offer(entity as Entity<PolicySpec>);
    else if (entity.kind === SERVICE_ACCOUNT_KIND) this.accounts.offer(entity as Entity<ServiceAccountSpec>);
    else if (entity.kind === BOOTSTRAP_KIND) this.bootstrap.offer(entity as Entity<BootstrapSpec>);
  }

  /**
   * The caller, when allowed; else UNAUTHENTICATED (no or a bad credential) or FORBIDDEN (no policy
   * allows it). Synchronous for a remembered token once the policies are in, which is every warm call.
   */
  check(request: AccessCheck): Caller | Promise<Caller> {
    const token = bearerOf(request.authorization);
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) {
      this.decide(known, request);
      return known.caller;
    }
    return this.checkSlowly(token, request);
  }

  /** Whether this credential was proven before and has not expired: what a warm call carries. */
  remembers(authorization: string | undefined): boolean {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return false;
    const known = this.verified.get(authorization.slice('Bearer '.length).trim());
    return known !== undefined && known.expiresAt > Date.now();
  }

  /**
   * Only proves the credential, deciding nothing: what runs before a request's body is read, so a
   * caller without a credential never makes a process parse megabytes. The guard decides afterwards,
   * on the token remembered here.
   */
  authenticate(authorization: string | undefined): Caller | Promise<Caller> {
    const token = bearerOf(authorization);
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.caller;
    return this.verify(token).then((verified) => verified.caller);
  }

  /**
   * For what spans organisations (organisations themselves, global policies, accounts that global
   * policies name): FORBIDDEN (with `refusal`, when the caller knows better words) unless a global
   * policy allows it, or the caller is one of Dispatch's own services or, in bootstrap mode, the
   * bootstrap identity.
   */
  authorizeInstallation(caller: Caller, resource: string, action: string, refusal?: string): void {
    if (caller.kind === 'service') return;
    if (caller.kind === 'bootstrap' && BOOTSTRAP_RESOURCES.has(resource)) return;
    const decision = this.engine.decideGlobally({ subjects: caller.subjects, resource, action });
    if (!decision.allowed) throw new DomainError('FORBIDDEN', refusal ?? decision.reason);
  }

  /**
   * Whether the policies let the caller do this in the org (a service account outside its own org only
   * when a global policy names it): for answers filtered by what one may see.
   */
  allows(caller: Caller, org: string, resource: string, action: string): boolean {
    if (caller.kind === 'service') return true;
    if (caller.kind === 'bootstrap') return BOOTSTRAP_RESOURCES.has(resource);
    const [subject = ''] = caller.subjects;
    if (
      caller.kind === 'service-account' &&
      !subject.startsWith(`${org}/`) &&
      !this.engine.namedGlobally(subject)
    )
      return false;
    return this.engine.decide({ org, subjects: caller.subjects, resource, action }).allowed;
  }

  /**
   * Handing secrets to a function is using them: the caller who names them (at exec, or in a function,
   * subscription or driver it writes) needs `use` (or `get`) on secrets in the org. A call without a
   * caller is Dispatch's own (an event's delivery, an endpoint's run), already decided when its
   * subscription or function was written.
   */
  authorizeSecrets(caller: Caller | undefined, org: string, names: readonly string[]): void {
    if (!caller || caller.kind === 'service' || names.length === 0) return;
    if (this.allows(caller, org, 'secret', 'use')) return;
    throw new DomainError(
      'FORBIDDEN',
      `${caller.subjects[0] ?? 'anonymous'} may not use secret ${names[0]} in organization ${org}: no policy allows it`,
    );
  }

  /** Whether a global policy names this subject itself: its credential works in every org. */
  namedGlobally(subject: string): boolean {
    return this.engine.namedExplicitlyGlobally(subject);
  }

  private async checkSlowly(token: string, request: AccessCheck): Promise<Caller> {
    const verified = await this.verify(token);
    this.decide(verified, request);
    return verified.caller;
  }

  /** Authenticates a token not remembered yet, and remembers it. */
  private async verify(token: string): Promise<Verified> {
    const verified = await this.authenticateToken(token);
    await this.policies.loaded;
    if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
    this.verified.set(token, verified);
    return verified;
  }

  private decide(verified: Verified, request: AccessCheck): void {
    if (request.authenticateOnly) return;
    // Dispatch's own services (ServiceIdentity) act for calls already authorised, in any org.
    if (verified.token?.org === SYSTEM_ORG) return;
    if (verified.token)
      ServiceAccountTokens.checkOrg(verified.token, request.org, (s) => this.engine.namedGlobally(s));
    if (verified.caller.kind === 'bootstrap') {
      if (BOOTSTRAP_RESOURCES.has(request.resource)) return;
      throw new DomainError(
        'FORBIDDEN',
        `the bootstrap identity may only manage organizations, service accounts and policies, not ${request.action} ${request.resource}`,
      );
    }
    if (request.installationWide) {
      this.authorizeInstallation(verified.caller, request.resource, request.action);
      return;
    }
    const decision = this.engine.decide({
      org: request.target ?? request.org,
      subjects: verified.caller.subjects,
      resource: request.resource,
      action: request.action,
    });
    if (!decision.allowed) throw new DomainError('FORBIDDEN', decision.reason);
  }

  private async authenticateToken(token: string): Promise<Verified> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw refused('the bearer token is not a JWT');
    }
    if (issuer === BOOTSTRAP_SUBJECT) return this.authenticateBootstrap(token);
    if (this.oidc && issuer === this.oidc.settings.issuer) return this.oidc.verify(token);
    if (typeof issuer === 'string' && issuer.includes('/')) {
      const verified = await this.serviceAccountTokens.verify(token);
      return {
        caller: {
          kind: verified.org === SYSTEM_ORG ? 'service' : 'service-account',
          subjects: [verified.subject],
        },
        token: verified,
        expiresAt: verified.expiresAt,
      };
    }
    throw refused(
      `the token's issuer ${JSON.stringify(issuer)} is neither a service account (<organization>/<name>)` +
        (this.oidc ? ` nor the OpenID provider ${this.oidc.settings.issuer}` : '') +
        ' nor the bootstrap identity',
    );
  }

  private async authenticateBootstrap(token: string): Promise<Verified> {
    await this.bootstrap.loaded;
    const record = this.bootstrap.get({ org: SYSTEM_ORG, project: IAM_PROJECT, name: BOOTSTRAP_NAME });
    if (!record?.spec.enabled)
      throw refused('bootstrap mode is off: sign in as an administrator (`dispatch login`)');
    const expiresAt = await this.serviceAccountTokens.verifySigned(
      token,
      record.spec.publicKey,
      BOOTSTRAP_SUBJECT,
      'the bootstrap identity',
    );
    this.logger.log('a call by the bootstrap identity');
    return { caller: { kind: 'bootstrap', subjects: [BOOTSTRAP_SUBJECT] }, expiresAt };
  }
}

function bearerOf(authorization: string | undefined): string {
  if (!authorization) throw refused(NO_CREDENTIAL);
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw refused('the Authorization header must be `Bearer <token>`');
  return match[1] as string;
}
