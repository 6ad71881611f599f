import { Inject, Injectable, Optional } from '@nestjs/common';
import { Counter, Gauge, type Registry } from 'prom-client';
import { BoundedSeries, METRICS_REGISTRY } from '@dispatch/platform';

type Labels = 'org' | 'subscription';

/** How many events published for a subscription it has not handled yet. */
export interface SubscriptionLag {
  org: string;
  subscription: string;
  lag: number;
}

/**
 * Each subscription's deliveries: events it ran its function for, by outcome (delivered, or
 * dead-lettered after the last attempt), the attempts made again, and how far behind it is. Series are per org and
 * subscription, for a bounded number of subscriptions (BoundedSeries).
 */
@Injectable()
export class DeliveryMetrics {
  private readonly series = new BoundedSeries();
  private readonly deliveries?: Counter<Labels | 'outcome'>;
  private readonly retries?: Counter<Labels>;
  private lags: () => Promise<SubscriptionLag[]> = async () => [];

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
    // Asked of the bus when scraped: a gauge holds what its collect() sets.
    const lags = () => this.lags();
    const labels = (org: string, subscription: string) => this.labels(org, subscription);
    new Gauge({
      name: 'dispatch_subscription_lag',
      help: "Events published for each subscription and not handled yet (its consumer group's lag on the bus).",
      labelNames: ['org', 'subscription'],
      registers: [registry],
      async collect() {
        const now = await lags();
        this.reset();
        for (const { org, subscription, lag } of now) this.inc(labels(org, subscription), lag);
      },
    });
  }

  /** Where the lag gauge reads the subscriptions' lags from (the subscription manager). */
  watchLag(lags: () => Promise<SubscriptionLag[]>): void {
    this.lags = lags;
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
