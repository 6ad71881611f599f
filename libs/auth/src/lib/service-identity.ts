import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
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
  private privateKey?: KeyObject;
  private lease?: Lease;
  private current?: { token: string; renewAt: number };
  private readonly name: string;

  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Inject(ACCESS_CONFIG) config: AccessConfig,
  ) {
    this.name = `${config.service ?? 'dispatch'}-${randomBytes(6).toString('hex')}`;
  }

  async onModuleInit(): Promise<void> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.lease = await this.store.grantLease(LEASE_TTL_S);
    await this.store.create<ServiceAccountSpec>(
      {
        org: SYSTEM_ORG,
        project: IAM_PROJECT,
        kind: SERVICE_ACCOUNT_KIND,
        name: this.name,
        status: 'READY',
        spec: { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      },
      { lease: this.lease },
    );
    await this.renew();
  }

  async onModuleDestroy(): Promise<void> {
    await this.lease?.revoke().catch(() => undefined);
  }

  /** A token valid for at least the next minutes; renewed in the background before it runs out. */
  token(): string {
    const current = this.current;
    if (!current) throw new Error('the service identity is not registered yet');
    if (Date.now() > current.renewAt) void this.renew();
    return current.token;
  }

  private async renew(): Promise<void> {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(`${SYSTEM_ORG}/${this.name}`)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_LIFETIME_S}s`)
      .sign(this.privateKey as KeyObject);
    this.current = { token, renewAt: Date.now() + (TOKEN_LIFETIME_S / 3) * 1000 };
  }
}
