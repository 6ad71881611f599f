import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SignJWT } from 'jose';
import { IAM_PROJECT, SERVICE_ACCOUNT_KIND, SYSTEM_ORG, type ServiceAccountSpec } from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore, type Lease } from '@dispatch/entity-store';
import { ACCESS_CONFIG, type AccessConfig } from './access-control.js';

const TOKEN_LIFETIME_S = 15 * 60;
const LEASE_TTL_S = 30;

/**
 * This process's own credential for calling the other services (the gateway and the events service
 * running functions, anyone resolving secrets): a key pair made at start, its public half registered as
 * a system service account (`-/<service>-<random>`) on a lease, so it disappears with the process. The
 * system org cannot be named by a user, and AccessControl lets its accounts act in every org: they act on
 * behalf of calls already authorised (an endpoint's traffic, an event's delivery).
 */
@Injectable()
export class ServiceIdentity implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('service-identity');
  private privateKey?: KeyObject;
  private publicKey?: string;
  private lease?: Lease;
  private registered?: Promise<void>;
  private stopped = false;
  private current?: { token: string; signing: number; renewAt: number };
  /** Signings begun, in order: a token's place among them, whatever the wall clock does. */
  private signings = 0;
  private renewal?: NodeJS.Timeout;
  private readonly name: string;

  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Inject(ACCESS_CONFIG) config: AccessConfig,
  ) {
    this.name = `${config.service ?? 'dispatch'}-${randomBytes(6).toString('hex')}`;
  }

  /**
   * The key and the first token are made at once; the account is registered in the background, retried
   * while the store is unreachable (a service starts, and reports not ready, without its store), and
   * registered again if its lease is ever lost.
   */
  async onModuleInit(): Promise<void> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await this.renew();
    // Renewed on a clock, not only when asked: a service idle for longer than a token lives (no secret
    // read for a quarter of an hour) must not send its next call with an expired one.
    this.renewal = setInterval(() => this.renewSoon(), (TOKEN_LIFETIME_S / 3) * 1000).unref();
    this.registered = this.register();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewal);
    await this.registered;
    await this.lease?.revoke().catch(() => undefined);
  }

  private async register(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt += 1) {
      try {
        const lease = await this.store.grantLease(LEASE_TTL_S);
        await this.store.create<ServiceAccountSpec>(
          {
            org: SYSTEM_ORG,
            project: IAM_PROJECT,
            kind: SERVICE_ACCOUNT_KIND,
            name: this.name,
            status: 'READY',
            spec: { publicKey: this.publicKey as string },
          },
          { lease },
        );
        this.lease = lease;
        lease.onLost((err) => {
          this.logger.warn(`the service identity's lease was lost (${err.message}); registering again`);
          this.lease = undefined;
          if (!this.stopped) this.registered = this.register();
        });
        return;
      } catch (err) {
        if (attempt % 10 === 0)
          this.logger.warn(`cannot register the service identity yet: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  /** A token valid for at least the next minutes; renewed in the background before it runs out. */
  token(): string {
    const current = this.current;
    if (!current) throw new Error('the service identity is not registered yet');
    if (Date.now() > current.renewAt) this.renewSoon();
    return current.token;
  }

  /** A renewal in the background; one that fails leaves the current token, and the next one tries again. */
  private renewSoon(): void {
    this.renew().catch((err: unknown) =>
      this.logger.warn(`renewing the service identity's token failed: ${(err as Error).message}`),
    );
  }

  private async renew(): Promise<void> {
    const signing = ++this.signings;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(`${SYSTEM_ORG}/${this.name}`)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_LIFETIME_S}s`)
      .sign(this.privateKey as KeyObject);
    // Signings run on the thread pool and may finish out of order: an older token never replaces a
    // newer one.
    if (this.current && this.current.signing > signing) return;
    this.current = { token, signing, renewAt: Date.now() + (TOKEN_LIFETIME_S / 3) * 1000 };
  }
}
