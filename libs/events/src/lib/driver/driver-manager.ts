import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  DomainError,
  EVENT_DRIVER_KIND,
  SECRETS_RESOLVER,
  type Entity,
  type EventDriverSpec,
  type SecretsResolver,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore, type LockHandle } from '@dispatch/entity-store';
import { EntityCache } from '@dispatch/platform';
import { EmissionService } from '../emission/emission.service.js';
import { settingsOf } from './driver-config.js';
import { DriverTypeService } from './driver-type.service.js';
import { startProgram } from './kinds/program.js';
import { DriverProblem, type DriverContext, type RunningDriver } from './kinds/running-driver.js';
import { startTimer } from './kinds/timer.js';
import { startWebhook } from './kinds/webhook.js';

/** How long a driver's lock outlives a replica that stopped answering; another then takes over. */
const LOCK_TTL_SECONDS = 15;

interface Instance {
  entity: Entity<EventDriverSpec>;
  fingerprint: string;
  stopped: boolean;
  lock?: LockHandle;
  driver?: RunningDriver;
}

const keyOf = (e: Entity<unknown>) => `${e.org}/${e.project}/${e.name}`;
const fingerprintOf = (e: Entity<EventDriverSpec>) => `${e.id} ${JSON.stringify(e.spec)}`;

/**
 * Runs the stored event drivers, following them through their watch: a new or changed driver (re)starts,
 * a deleted one stops. Each runs in one place at a time: the replica holding its lock in the entity store
 * (another takes over when that one dies). A driver is READY once running, or ERROR with why not (a bad
 * schedule, a missing program, no webhook secret).
 */
@Injectable()
export class DriverManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('event-drivers');
  private readonly cache: EntityCache<EventDriverSpec>;
  private readonly instances = new Map<string, Instance>();

  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    private readonly types: DriverTypeService,
    private readonly emissions: EmissionService,
    @Optional() @Inject(SECRETS_RESOLVER) private readonly secrets?: SecretsResolver,
  ) {
    this.cache = new EntityCache<EventDriverSpec>({
      name: 'eventdriver',
      store,
      kind: EVENT_DRIVER_KIND,
      onChange: () => this.sync(),
    });
  }

  onApplicationBootstrap(): void {
    this.cache.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.cache.stop();
    await Promise.all([...this.instances.values()].map((i) => this.stop(i)));
    this.instances.clear();
  }

  private sync(): void {
    const wanted = new Map<string, Entity<EventDriverSpec>>();
    for (const entity of this.cache.values()) wanted.set(keyOf(entity), entity);
    for (const [key, instance] of this.instances) {
      const entity = wanted.get(key);
      if (!entity || fingerprintOf(entity) !== instance.fingerprint) {
        this.instances.delete(key);
        void this.stop(instance);
      }
    }
    for (const [key, entity] of wanted) {
      const instance = this.instances.get(key);
      if (instance) {
        instance.entity = entity;
        continue;
      }
      const fresh: Instance = { entity, fingerprint: fingerprintOf(entity), stopped: false };
      this.instances.set(key, fresh);
      void this.start(fresh);
    }
  }

  private async start(instance: Instance): Promise<void> {
    const { org, project, name } = instance.entity;
    try {
      instance.lock = await this.store.lock(`eventdriver.${org}.${project}.${name}`, {
        ttlSeconds: LOCK_TTL_SECONDS,
      });
    } catch (err) {
      if (!instance.stopped) this.logger.warn(`driver ${keyOf(instance.entity)}: ${(err as Error).message}`);
      return;
    }
    if (instance.stopped) {
      await instance.lock.release();
      return;
    }
    const { spec } = instance.entity;
    try {
      const type = await this.types.resolve({ org, project }, spec.type);
      const secrets = spec.secrets.length ? await this.resolveSecrets(org, project, spec.secrets) : {};
      const context: DriverContext = {
        org,
        project,
        name,
        settings: settingsOf(type?.config ?? [], spec.config),
        secrets,
        type,
        emit: async (event) => void (await this.emissions.publish({ org, project }, event)),
        status: (status, reason) => {
          if (!instance.stopped) void this.mark(instance, status, reason);
        },
        logger: this.logger,
      };
      instance.driver =
        spec.type === 'timer'
          ? startTimer(context)
          : spec.type === 'webhook'
            ? startWebhook(context)
            : await startProgram(context);
      if (instance.stopped) {
        await this.stop(instance);
        return;
      }
      // A program reports its own status as it starts and exits; the built-in types run from here.
      if (type === undefined) await this.mark(instance, 'READY', []);
    } catch (err) {
      if (!(err instanceof DriverProblem || err instanceof DomainError))
        this.logger.error(`driver ${keyOf(instance.entity)}: ${(err as Error).stack ?? err}`);
      await this.mark(instance, 'ERROR', [(err as Error).message]);
    }
  }

  private async resolveSecrets(
    org: string,
    project: string,
    names: string[],
  ): Promise<Record<string, string>> {
    if (!this.secrets)
      throw new DriverProblem(`secrets cannot be read here, so ${names.join(', ')} cannot be given`);
    return this.secrets.resolve(org, project, names);
  }

  private async stop(instance: Instance): Promise<void> {
    instance.stopped = true;
    await instance.driver
      ?.stop()
      .catch((err: unknown) =>
        this.logger.warn(`stopping driver ${keyOf(instance.entity)}: ${(err as Error).message}`),
      );
    await instance.lock?.release().catch(() => undefined);
  }

  /** Writes the driver's status; a newer write or a delete in between wins. */
  private async mark(instance: Instance, status: 'READY' | 'ERROR', reason: string[]): Promise<void> {
    const { entity } = instance;
    if (entity.status === status && entity.reason.join() === reason.join()) return;
    try {
      instance.entity = await this.store.update<EventDriverSpec>({ ...entity, status, reason });
    } catch (err) {
      if (err instanceof DomainError && (err.code === 'REVISION_CONFLICT' || err.code === 'NOT_FOUND'))
        return;
      this.logger.warn(`marking driver ${keyOf(entity)} ${status}: ${(err as Error).message}`);
    }
  }
}
