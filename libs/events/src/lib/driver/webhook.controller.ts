import { Body, Controller, Headers, HttpCode, Inject, Optional, Param, Post, Req } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Webhook } from 'standardwebhooks';
import { DomainError, SECRETS_RESOLVER, type Emission, type SecretsResolver } from '@dispatch/contracts';
import { Public } from '@dispatch/platform';
import { EmissionService } from '../emission/emission.service.js';
import { settingsOf } from './driver-config.js';
import { DriverService } from './driver.service.js';
import { driverEvent } from './kinds/running-driver.js';
import { webhookSecret } from './kinds/webhook.js';

/**
 * How long a delivery id is remembered: twice the signature's timestamp tolerance (five minutes either
 * way, as Standard Webhooks verifiers allow), so a delivery is refused again for as long as its
 * timestamp would pass.
 */
const REMEMBERED_MS = 10 * 60_000;
const MAX_REMEMBERED = 100_000;

const HOW_TO_SIGN =
  'sign each delivery as Standard Webhooks do: webhook-id (unique per delivery), webhook-timestamp ' +
  '(unix seconds, within 5 minutes of now) and webhook-signature: v1,<base64 HMAC-SHA256 of ' +
  '"<webhook-id>.<webhook-timestamp>.<body>" with the shared secret>';

/**
 * A webhook driver's address (`url` on the driver): each POST of JSON, signed with the driver's shared
 * secret as Standard Webhooks specifies (an id and a timestamp under the signature), becomes one event.
 * A delivery whose id was already received is refused, and its id is the event's, so even one replayed
 * to another replica runs its subscriptions once. The org and project are in the path: the caller is
 * not a Dispatch user.
 */
@Controller('v1/event/hooks')
@Public()
export class WebhookController {
  private readonly received = new LRUCache<string, true>({ max: MAX_REMEMBERED, ttl: REMEMBERED_MS });

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
    @Headers() headers: Record<string, string>,
    @Req() req: { rawBody?: string },
    @Body() body: unknown,
  ): Promise<Emission> {
    const scope = { org, project };
    const driver = await this.drivers.find(scope, name).catch(() => undefined);
    if (!driver || driver.spec.type !== 'webhook')
      throw new DomainError('NOT_FOUND', `no webhook driver ${name} in ${org}/${project}`);
    if (driver.status !== 'READY')
      throw new DomainError(
        'UNAVAILABLE',
        `webhook driver ${name} is ${driver.status}: ${driver.reason.join('; ')}`,
      );
    const values =
      driver.spec.secrets.length && this.secrets
        ? await this.secrets.resolve(org, project, driver.spec.secrets)
        : {};
    const secret = webhookSecret(settingsOf(driver.spec.config), values);
    if (!secret) throw new DomainError('UNAVAILABLE', `webhook driver ${name} has no shared secret`);
    try {
      new Webhook(Buffer.from(secret, 'utf8'), { format: 'raw' }).verify(req.rawBody ?? '', headers, {
        jsonParse: false,
      });
    } catch (err) {
      throw new DomainError(
        'UNAUTHENTICATED',
        `the delivery is refused (${(err as Error).message}): ${HOW_TO_SIGN}`,
      );
    }
    const id = headers['webhook-id'] as string;
    const key = `${org}/${project}/${name}/${id}`;
    if (this.received.has(key))
      throw new DomainError('ALREADY_EXISTS', `delivery ${id} was already received by webhook ${name}`);
    this.received.set(key, true);
    const settings = settingsOf(driver.spec.config);
    // The sender's id, within this webhook: deliveries (runs) are named by event id, so a replay that
    // reaches another replica still runs once, and two webhooks' senders never share an id.
    const event = {
      ...driverEvent(name, settings.get('event-type') ?? 'webhook.request', body ?? null),
      eventID: `${name}/${id}`,
    };
    return this.emissions.publish(scope, event);
  }
}
