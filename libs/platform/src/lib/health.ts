import {
  Controller,
  Get,
  Inject,
  Module,
  Res,
  type DynamicModule,
  type InjectionToken,
} from '@nestjs/common';
import type { HealthReport } from '@dispatch/contracts';
import { Public } from './access.decorators.js';
import { draining } from './shutdown.js';

/** A dependency the service needs to do its work, checked by `/readyz`. */
export interface HealthCheck {
  name: string;
  ping: () => Promise<void>;
}

export const HEALTH_CHECKS = Symbol.for('dispatch.health-checks');

interface StatusReply {
  status(code: number): StatusReply;
  send(body: unknown): void;
}

const CHECK_TIMEOUT_MS = 2000;

async function run(check: HealthCheck): Promise<HealthReport['checks'][string]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { status: 'ok' };
  } catch (err) {
    return { status: 'unavailable', message: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz` says the process is up and serving (liveness: restarting it would not help a dependency);
 * `/readyz` checks every dependency and answers 503 naming the one that fails (readiness).
 */
@Controller()
@Public()
export class HealthController {
  constructor(@Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[]) {}

  @Get('healthz')
  live(): HealthReport {
    return { status: 'ok', checks: {} };
  }

  @Get('readyz')
  async ready(@Res() reply: StatusReply): Promise<void> {
    if (draining()) {
      reply.status(503).send({ status: 'draining', checks: {} } satisfies HealthReport);
      return;
    }
    const results = await Promise.all(this.checks.map(async (c) => [c.name, await run(c)] as const));
    const report: HealthReport = {
      status: results.every(([, r]) => r.status === 'ok') ? 'ok' : 'unavailable',
      checks: Object.fromEntries(results),
    };
    reply.status(report.status === 'ok' ? 200 : 503).send(report);
  }
}

export interface HealthCheckFactory {
  name: string;
  inject: InjectionToken;
  ping: (dependency: never) => Promise<void>;
}

@Module({})
export class HealthModule {
  static forRoot(checks: HealthCheckFactory[]): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        {
          provide: HEALTH_CHECKS,
          inject: checks.map((c) => c.inject),
          useFactory: (...deps: unknown[]): HealthCheck[] =>
            checks.map((c, i) => ({ name: c.name, ping: () => c.ping(deps[i] as never) })),
        },
      ],
    };
  }
}
