import { Card, Group, SimpleGrid, Text, Title } from '@mantine/core';
import type { ActivityPoint } from '@dispatch/contracts';
import { useQuery } from '@tanstack/react-query';
import { useWorkspace } from '../session.js';

const WIDTH = 240;
const HEIGHT = 48;

interface Series {
  values: (number | null)[];
  color: string;
}

/**
 * A small line graph of one or two series over the hour. A screen reader hears its summary (the
 * label), which says what the eye reads from the line: the total or the peak, and the latest value.
 */
function Sparkline({ series, label }: { series: Series[]; label: string }) {
  const max = Math.max(1, ...series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const x = (i: number, n: number) => (n <= 1 ? 0 : (i / (n - 1)) * WIDTH);
  const y = (v: number) => HEIGHT - 2 - (v / max) * (HEIGHT - 4);
  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      width="100%"
      height={HEIGHT}
      role="img"
      aria-label={label}
      preserveAspectRatio="none"
    >
      {series.map(({ values, color }, s) => (
        <polyline
          key={s}
          fill="none"
          stroke={color}
          strokeWidth={1.5}
          vectorEffect="non-scaling-stroke"
          points={values.map((v, i) => `${x(i, values.length)},${y(v ?? 0)}`).join(' ')}
        />
      ))}
    </svg>
  );
}

const sum = (points: ActivityPoint[], field: 'runs' | 'errors' | 'coldStarts') =>
  points.reduce((total, p) => total + p[field], 0);
const latest = (points: ActivityPoint[], field: 'p50Ms' | 'p99Ms') =>
  [...points].reverse().find((p) => p[field] !== null)?.[field] ?? null;

/** A function's last hour on its page, a point a minute, asked again every 10 seconds. */
export function FunctionActivityGraphs({ name }: { name: string }) {
  const { client, org, project } = useWorkspace();
  const activity = useQuery({
    queryKey: ['activity', org, project, name],
    queryFn: () => client.functionActivity(name),
    refetchInterval: 10_000,
  });
  const points = activity.data?.points ?? [];
  const p50 = latest(points, 'p50Ms');
  const p99 = latest(points, 'p99Ms');
  const cards = [
    {
      title: 'Runs',
      value: String(sum(points, 'runs')),
      series: [{ values: points.map((p) => p.runs), color: 'var(--mantine-color-indigo-8)' }],
      label: `Runs a minute over the last hour: ${sum(points, 'runs')} in all`,
    },
    {
      title: 'Errors',
      value: String(sum(points, 'errors')),
      series: [{ values: points.map((p) => p.errors), color: 'var(--mantine-color-red-9)' }],
      label: `Failed runs a minute over the last hour: ${sum(points, 'errors')} in all`,
    },
    {
      title: 'Duration p50 / p99',
      value: p50 === null ? '—' : `${p50} / ${p99} ms`,
      series: [
        { values: points.map((p) => p.p50Ms), color: 'var(--mantine-color-teal-9)' },
        { values: points.map((p) => p.p99Ms), color: 'var(--mantine-color-orange-9)' },
      ],
      label:
        p50 === null
          ? 'Run durations over the last hour: no runs'
          : `Run durations over the last hour: latest median ${p50} ms, 99th percentile ${p99} ms`,
    },
    {
      title: 'Cold starts',
      value: String(sum(points, 'coldStarts')),
      series: [{ values: points.map((p) => p.coldStarts), color: 'var(--mantine-color-grape-9)' }],
      label: `Cold starts a minute over the last hour: ${sum(points, 'coldStarts')} in all`,
    },
  ];
  return (
    <section aria-labelledby="activity-title">
      <Title order={2} size="h4" mt="sm" id="activity-title">
        The last hour
      </Title>
      <SimpleGrid cols={{ base: 2, md: 4 }} my="sm">
        {cards.map((card) => (
          <Card key={card.title} withBorder padding="sm">
            <Group justify="space-between" wrap="nowrap">
              <Text size="sm" fw={700}>
                {card.title}
              </Text>
              <Text size="sm" aria-label={`${card.title} in the last hour`}>
                {card.value}
              </Text>
            </Group>
            <Sparkline series={card.series} label={card.label} />
          </Card>
        ))}
      </SimpleGrid>
    </section>
  );
}
