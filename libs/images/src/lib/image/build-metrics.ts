import { Inject, Injectable, Optional } from '@nestjs/common';
import { Counter, Histogram, type Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@dispatch/platform';

/** Build times, in seconds: a build without dependencies takes a moment, one with many, minutes. */
const BUILD_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Image builds by language and outcome (success or failure), and how long they took. */
@Injectable()
export class BuildMetrics {
  private readonly builds?: Counter<'language' | 'outcome'>;
  private readonly duration?: Histogram<'language' | 'outcome'>;

  constructor(@Optional() @Inject(METRICS_REGISTRY) registry?: Registry) {
    if (!registry) return;
    this.builds = new Counter({
      name: 'dispatch_image_builds_total',
      help: 'Image builds by language and outcome: success or failure.',
      labelNames: ['language', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'dispatch_image_build_duration_seconds',
      help: 'How long image builds took, by language and outcome.',
      labelNames: ['language', 'outcome'],
      buckets: BUILD_BUCKETS,
      registers: [registry],
    });
  }

  observe(language: string, failed: boolean, seconds: number): void {
    const labels = { language, outcome: failed ? 'failure' : 'success' };
    this.builds?.inc(labels);
    this.duration?.observe(labels, seconds);
  }
}
