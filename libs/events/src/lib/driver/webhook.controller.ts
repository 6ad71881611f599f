import { createHmac, timingSafeEqual } from 'node:crypto';
import { Body, Controller, Headers, HttpCode, Inject, Optional, Param, Post, Req } from '@nestjs/common';
import { DomainError, SECRETS_RESOLVER, type Emission, type SecretsResolver } from '@dispatch/contracts';
import { Public } from '@dispatch/platform';
import { EmissionService } from '../emission/emission.service.js';
import { settingsOf } from './driver-config.js';
import { DriverService } from './driver.service.js';
import { driverEvent } from './kinds/running-driver.js';
import { webhookSecret } from './kinds/webhook.js';

/**
 * A webhook driver's address (`url` on the driver): each POST of JSON, signed with the driver's shared
 * secret in `X-Dispatch-Signature: sha256=<hex HMAC-SHA256 of the body>` (as GitHub signs its hooks),
 * becomes one event. The org and project are in the path: the caller is not a Dispatch user.
 */
@Controller('v1/event/hooks')
@Public()
export class WebhookController {
  constructor(
    private readonly drivers: DriverService,
    private readonly emissions: EmissionService,
    @Optional() @Inject(SECRETS_RESOLVER) private readonly secrets?: SecretsResolver,
  ) {}

  @Post(':org/:project/:name')
  @HttpCode(200)
  async receive(
    @Param('org') org: string,
    @Param('project') project: string,
    @Param('name') name: string,
    @Headers('x-dispatch-signature') signature: string | undefined,
    @Req() req: { rawBody?: string },
    @Body() body: unknown,
  ): Promise<Emission> {
    const scope = { org, project };
    const driver = await this.drivers.read(scope, name).catch(() => undefined);
    if (!driver || driver.spec.type !== 'webhook')
      throw new DomainError('NOT_FOUND', `no webhook driver ${name} in ${org}/${project}`);
    if (driver.status !== 'READY')
      throw new DomainError(
        'UNAVAILABLE',
        `webhook driver ${name} is ${driver.status}: ${driver.reason.join('; ')}`,
      );
    const settings = settingsOf(driver.spec.config);
    const values =
      driver.spec.secrets.length && this.secrets
        ? await this.secrets.resolve(org, project, driver.spec.secrets)
        : {};
    const secret = webhookSecret(settings, values) ?? '';
    if (!validSignature(secret, req.rawBody ?? '', signature))
      throw new DomainError(
        'UNAUTHENTICATED',
        'the signature is missing or wrong: send X-Dispatch-Signature: sha256=<hex HMAC-SHA256 of the body with the shared secret>',
      );
    const event = driverEvent(name, settings.get('event-type') ?? 'webhook.request', body ?? null);
    return this.emissions.publish(scope, event);
  }
}

function validSignature(secret: string, body: string, header: string | undefined): boolean {
  if (!secret || !header?.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
