import { Group, Title } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import type { ReactNode } from 'react';
import { DataTable } from './data-table.js';
import { ErrorNote } from './error-note.js';
import { Loading } from './loading.js';

/**
 * A page of one kind: its title and tools (Create...), then its table once listed, or the server's
 * reason when it refused to list it.
 */
export function ListPage<T>({
  title,
  tools,
  list,
  columns,
  note,
}: {
  title: string;
  tools?: ReactNode;
  list: UseQueryResult<T[]>;
  columns: ColumnDef<T, unknown>[];
  note?: ReactNode;
}) {
  const label = title.toLowerCase();
  return (
    <>
      <Group justify="space-between">
        <Title order={1}>{title}</Title>
        <Group>{tools}</Group>
      </Group>
      {note}
      {list.isPending && <Loading label={`Loading ${label}`} />}
      {list.isError && <ErrorNote error={list.error} />}
      {list.data && <DataTable label={label} rows={list.data} columns={columns} />}
    </>
  );
}
