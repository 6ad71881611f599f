import { Inject, Injectable, Optional } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';
import { BoundedSeries, METRICS_REGISTRY } from '@dispatch/platform';

type Labels = 'org' | 'subscription';

/**
 * Each subscription's deliveries: events it ran its function for, by outcome (delivered, or
 * dead-lettered after the last attempt), and the attempts made again. Series are per org and
 * subscription, for a bounded number of subscriptions (BoundedSeries).
 */
@Injectable()
export class DeliveryMetrics {
  private readonly series = new BoundedSeries();
  private readonly deliveries?: Counter<Labels | 'outcome'>;
  private readonly retries?: Counter<Labels>;

  constructor(@Optional() @Inject(METRICS_REGISTRY) registry?: Registry) {
    if (!registry) return;
    this.deliveries = new Counter({
      name: 'dispatch_subscription_deliveries_total',
      help: 'Events each subscription handled, by outcome: delivered, or dead-lettered after its last attempt.',
      labelNames: ['org', 'subscription', 'outcome'],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'dispatch_subscription_retries_total',
      help: 'Attempts each subscription made again after one failed.',
      labelNames: ['org', 'subscription'],
      registers: [registry],
    });
  }

  retried(org: string, subscription: string): void {
    this.retries?.inc(this.labels(org, subscription));
  }

  delivered(org: string, subscription: string, deadLettered: boolean): void {
    this.deliveries?.inc({
      ...this.labels(org, subscription),
      outcome: deadLettered ? 'dead-lettered' : 'delivered',
    });
  }

  private labels(org: string, subscription: string): Record<Labels, string> {
    return { org, subscription: this.series.nameOf(org, subscription) };
  }
}
