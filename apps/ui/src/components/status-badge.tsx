import { Badge } from '@mantine/core';

/** The darkest shades, outlined: each reads at WCAG AA's 4.5:1 on white (green's does not; teal's does). */
export const STATUS_COLORS: Record<string, string> = {
  READY: 'teal.9',
  OK: 'teal.9',
  ERROR: 'red.9',
  CREATING: 'blue.9',
  UPDATING: 'blue.9',
  RUNNING: 'blue.9',
  INITIALIZED: 'gray.8',
  DELETING: 'gray.8',
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray.8'} variant="outline">
      {status}
    </Badge>
  );
}

/** Statuses that will move by themselves: a page showing one asks again soon. */
export const isSettling = (status: string | undefined) =>
  status === 'INITIALIZED' || status === 'CREATING' || status === 'UPDATING' || status === 'DELETING';
