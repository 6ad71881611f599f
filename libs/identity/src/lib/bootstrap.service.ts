import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import {
  BOOTSTRAP_KIND,
  BOOTSTRAP_NAME,
  BOOTSTRAP_SUBJECT,
  DomainError,
  IAM_PROJECT,
  SYSTEM_ORG,
  type BootstrapSpec,
  type Entity,
  type PolicySpec,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { AccessControl } from '@dispatch/auth';
import { IDENTITY_CONFIG, type IdentityConfig } from './identity.config.js';

const REF = { org: SYSTEM_ORG, project: IAM_PROJECT, kind: BOOTSTRAP_KIND, name: BOOTSTRAP_NAME };

/**
 * Bootstrap mode, as the original Dispatch had it: a fresh installation trusts one bootstrap identity
 * (the holder of DISPATCH_BOOTSTRAP_PUBLIC_KEY's private half) to create the first organisation,
 * service account and policy. Storing a policy that makes someone else an administrator ends it for
 * good: the record stays, disabled, so a restart with the key still configured does not reopen it.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('bootstrap');

  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Optional() private readonly access?: AccessControl,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const publicKey = this.config.bootstrapPublicKey;
    if (!publicKey) return;
    const record = await this.record();
    if (!record) {
      await this.write({ publicKey, enabled: true }).catch((err: unknown) => {
        // Another replica of identity wrote it first: the same key, from the same configuration.
        if (!(err instanceof DomainError && err.code === 'ALREADY_EXISTS')) throw err;
      });
      this.logger.log('bootstrap mode is on: the bootstrap identity may create the first administrator');
    } else if (!record.spec.enabled) {
      this.logger.log('bootstrap mode is over; DISPATCH_BOOTSTRAP_PUBLIC_KEY is ignored');
    } else if (record.spec.publicKey !== publicKey) {
      this.offer(await this.store.update<BootstrapSpec>({ ...record, spec: { publicKey, enabled: true } }));
    }
  }

  /** Whether the installation was ever bootstrapped (by the bootstrap identity, or by solo's first start). */
  async started(): Promise<boolean> {
    return (await this.record()) !== undefined;
  }

  /** Solo's first start: the installation is bootstrapped at once, with no bootstrap identity left open. */
  async recordDone(publicKey: string): Promise<void> {
    await this.write({ publicKey, enabled: false });
  }

  /** Called on every stored policy: the first one making an administrator ends bootstrap mode. */
  async policyStored(spec: PolicySpec): Promise<void> {
    if (!makesAdministrator(spec)) return;
    const record = await this.record();
    if (!record?.spec.enabled) return;
    this.offer(
      await this.store.update<BootstrapSpec>({ ...record, spec: { ...record.spec, enabled: false } }),
    );
    this.logger.log('an administrator policy exists: bootstrap mode is over');
  }

  private async record(): Promise<Entity<BootstrapSpec> | undefined> {
    return this.store.get<BootstrapSpec>(REF).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    });
  }

  private async write(spec: BootstrapSpec): Promise<void> {
    this.offer(await this.store.create<BootstrapSpec>({ ...REF, status: 'READY', spec }));
  }

  private offer(entity: Entity<BootstrapSpec>): void {
    this.access?.offer(entity as Entity<unknown>);
  }
}

/** Someone other than the bootstrap identity may do anything to policies: an administrator. */
function makesAdministrator(spec: PolicySpec): boolean {
  return spec.rules.some(
    (rule) =>
      rule.actions.includes('*') &&
      (rule.resources.includes('*') || rule.resources.includes('policy')) &&
      rule.subjects.some((s) => s !== BOOTSTRAP_SUBJECT),
  );
}
