import { Anchor, Code } from '@mantine/core';
import type { ColumnDef } from '@tanstack/react-table';
import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { StatusBadge } from './status-badge.js';

/** Columns most tables share, so each page states only what is its own. */
export function nameColumn<T extends { name: string }>(href?: (row: T) => string): ColumnDef<T, unknown> {
  return {
    id: 'name',
    header: 'Name',
    accessorFn: (row) => row.name,
    cell: ({ row }) =>
      href ? (
        <Anchor component={Link} href={href(row.original)}>
          {row.original.name}
        </Anchor>
      ) : (
        row.original.name
      ),
  };
}

export function statusColumn<T extends { status: string; reason?: string[] }>(): ColumnDef<T, unknown> {
  return {
    id: 'status',
    header: 'Status',
    accessorFn: (row) => `${row.status} ${(row.reason ?? []).join(' ')}`,
    cell: ({ row }) => (
      <>
        <StatusBadge status={row.original.status} />
        {row.original.reason?.length ? (
          <div>
            <small>{row.original.reason.join('; ')}</small>
          </div>
        ) : null}
      </>
    ),
  };
}

export function textColumn<T>(
  id: string,
  header: string,
  value: (row: T) => string | number | undefined,
): ColumnDef<T, unknown> {
  return { id, header, accessorFn: (row) => value(row) ?? '' };
}

export function codeColumn<T>(
  id: string,
  header: string,
  value: (row: T) => string | undefined,
): ColumnDef<T, unknown> {
  return {
    id,
    header,
    accessorFn: (row) => value(row) ?? '',
    cell: ({ getValue }) => (getValue() ? <Code>{String(getValue())}</Code> : null),
  };
}

export function timeColumn<T>(
  id: string,
  header: string,
  value: (row: T) => number | undefined,
): ColumnDef<T, unknown> {
  return {
    id,
    header,
    accessorFn: (row) => value(row) ?? 0,
    cell: ({ getValue }) => when(getValue() as number),
  };
}

export function actionColumn<T>(render: (row: T) => ReactNode): ColumnDef<T, unknown> {
  return { id: 'actions', header: 'Actions', enableSorting: false, cell: ({ row }) => render(row.original) };
}

/** Times as the API has them: seconds since the epoch (entities) or milliseconds (runs). */
export function when(time: number): string {
  return time ? new Date(toMs(time)).toLocaleString() : '';
}

export const toMs = (time: number) => (time < 1e12 ? time * 1000 : time);
