import { join } from 'node:path';
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
  type EventDriverSpec,
  type SecretsResolver,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore, type LockHandle } from '@dispatch/entity-store';
import { ensurePrivateDir, EntityWorkers, sandboxUidFor, type EntityWorker } from '@dispatch/platform';
import { tenantSandbox } from '@dispatch/sandbox';
import { driverProgramsDir, EVENTS_CONFIG, type EventsConfig } from '../events.config.js';
import { EmissionService } from '../emission/emission.service.js';
import { settingsOf } from './driver-config.js';
import { DriverTypeService } from './driver-type.service.js';
import { startProgram } from './kinds/program.js';
import { DriverProblem, type DriverContext, type RunningDriver } from './kinds/running-driver.js';
import { startTimer } from './kinds/timer.js';
import { startWebhook } from './kinds/webhook.js';

/** How long a driver's lock outlives a replica that stopped answering; another then takes over. */
const LOCK_TTL_SECONDS = 15;

/** What a running driver holds: its lock, and the driver once started. */
interface Held {
  lock?: LockHandle;
  driver?: RunningDriver;
}

type Worker = EntityWorker<EventDriverSpec, Held>;

/**
 * Runs the stored event drivers: a new or changed driver (re)starts, a deleted one stops. Each runs in
 * one place at a time: the replica holding its lock in the entity store (another takes over when that
 * one dies). A driver is READY once running, or ERROR with why not (a bad schedule, a missing program,
 * no webhook secret).
 */
@Injectable()
export class DriverManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('event-drivers');
  private readonly workers: EntityWorkers<EventDriverSpec, Held>;

  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    private readonly types: DriverTypeService,
    private readonly emissions: EmissionService,
    @Inject(EVENTS_CONFIG) private readonly config: EventsConfig,
    @Optional() @Inject(SECRETS_RESOLVER) private readonly secrets?: SecretsResolver,
  ) {
    this.workers = new EntityWorkers<EventDriverSpec, Held>({
      name: 'eventdriver',
      store,
      kind: EVENT_DRIVER_KIND,
      identity: (e) => `${e.id} ${JSON.stringify(e.spec)}`,
      start: (worker) => this.run(worker),
      stop: async (worker) => {
        await worker.state?.driver?.stop();
        await worker.state?.lock?.release();
      },
    });
  }

  onApplicationBootstrap(): void {
    this.workers.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.workers.stop();
  }

  private async run(worker: Worker): Promise<void> {
    const held: Held = (worker.state = {});
    const { org, project, name, spec } = worker.entity;
    // Waits while another replica runs it; a stop meanwhile lets go as soon as the lock comes.
    held.lock = await this.store.lock(`eventdriver.${org}.${project}.${name}`, {
      ttlSeconds: LOCK_TTL_SECONDS,
    });
    if (worker.stopped) {
      await held.lock.release();
      return;
    }
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
        program: type ? await this.programSetup(org, project, name) : undefined,
        status: (status, reason) => void this.workers.mark(worker, status, reason),
        logger: this.logger,
      };
      held.driver =
        spec.type === 'timer'
          ? startTimer(context)
          : spec.type === 'webhook'
            ? startWebhook(context)
            : await startProgram(context);
      if (worker.stopped) {
        await held.driver.stop();
        return;
      }
      // A program reports its own status as it starts and exits; the built-in types run from here.
      if (type === undefined) await this.workers.mark(worker, 'READY', []);
    } catch (err) {
      if (!(err instanceof DriverProblem || err instanceof DomainError))
        this.logger.error(`driver ${name} in ${org}/${project}: ${(err as Error).stack ?? err}`);
      await this.workers.mark(worker, 'ERROR', [(err as Error).message]);
    }
  }

  /** How a program driver runs: in the tenant sandbox, as the driver's own user, its socket private. */
  private async programSetup(org: string, project: string, name: string) {
    const socketsDir = join(this.config.dataDir, 'drivers');
    await ensurePrivateDir(socketsDir);
    return {
      programsDir: driverProgramsDir(this.config),
      socketsDir,
      uid: await sandboxUidFor(this.store, `eventdriver:${org}/${project}/${name}`),
      sandbox: tenantSandbox(),
    };
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
}
