import { randomBytes } from 'node:crypto';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { SecretsResolver, SecretValues } from '@dispatch/contracts';
import type { MessageBus } from '@dispatch/messaging';
import { domainEventType, onDomainEvents, type LastingSubscription } from '@dispatch/platform';

/** How long a value may be served without word from the secrets service: a bound on any missed event. */
const MAX_AGE_MS = 60_000;

/**
 * Secret values, kept after the first run that needs them, so runs do not each call the secrets
 * service once per secret. The secrets service announces every change (`secrets.secret.updated`,
 * `secrets.secret.deleted`) and each replica drops the value at once: every replica hears every event
 * (a consumer group of its own). Nothing is served from memory while that subscription is not live,
 * nothing learnt before it was last interrupted (a broker restart: a change announced meanwhile may be
 * lost), and nothing older than a minute, in case an event is lost some other way.
 */
export class CachedSecretsResolver implements SecretsResolver, OnApplicationShutdown {
  private readonly values = new Map<string, { values: SecretValues; at: number; interruptions: number }>();
  /** Bumped by each change of a secret: a fetch that started before it must not keep what it got. */
  private readonly generations = new Map<string, number>();
  private readonly subscription: LastingSubscription;

  constructor(
    private readonly source: SecretsResolver,
    bus: MessageBus,
  ) {
    const group = `functions.secrets-cache.${randomBytes(6).toString('hex')}`;
    this.subscription = onDomainEvents(
      bus,
      [domainEventType('secret', 'updated'), domainEventType('secret', 'deleted')],
      group,
      async (event) => this.forget(`${event.org}/${event.project}/${event.name}`),
    );
  }

  async resolve(org: string, project: string, names: string[]): Promise<SecretValues> {
    const merged: SecretValues = {};
    for (const name of new Set(names)) Object.assign(merged, await this.one(org, project, name));
    return merged;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription.close();
  }

  private async one(org: string, project: string, name: string): Promise<SecretValues> {
    const key = `${org}/${project}/${name}`;
    const { live, interruptions } = this.subscription;
    const cached = this.values.get(key);
    if (live && cached?.interruptions === interruptions && Date.now() - cached.at < MAX_AGE_MS) {
      return cached.values;
    }
    const generation = this.generations.get(key) ?? 0;
    const values = await this.source.resolve(org, project, [name]);
    const unchanged = this.subscription.interruptions === interruptions;
    if (this.subscription.live && unchanged && (this.generations.get(key) ?? 0) === generation) {
      this.values.set(key, { values, at: Date.now(), interruptions });
    }
    return values;
  }

  private forget(key: string): void {
    this.values.delete(key);
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
  }
}
