import { Group, NativeSelect, Pagination, Table, Text, TextInput, UnstyledButton } from '@mantine/core';
import {
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getPaginationRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from '@tanstack/react-table';
import { useState } from 'react';

export interface DataTableProps<T> {
  /** What the table lists, for its caption and the search box's label: "functions". */
  label: string;
  rows: T[];
  columns: ColumnDef<T, unknown>[];
  /** Sorted by this column at first. */
  initialSort?: SortingState;
  empty?: string;
}

const PAGE_SIZES = ['10', '25', '50', '100'];

/**
 * A table that searches, sorts and pages, as the original Dispatch's UI did: the search matches any
 * column; a column's header sorts it (and says so to a screen reader); pages of 10 to 100 rows.
 */
export function DataTable<T>({ label, rows, columns, initialSort = [], empty }: DataTableProps<T>) {
  const [sorting, setSorting] = useState<SortingState>(initialSort);
  const [search, setSearch] = useState('');
  const [pagination, setPagination] = useState({ pageIndex: 0, pageSize: 25 });
  const table = useReactTable({
    data: rows,
    columns,
    state: { sorting, globalFilter: search, pagination },
    onSortingChange: setSorting,
    onGlobalFilterChange: setSearch,
    onPaginationChange: setPagination,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
    getPaginationRowModel: getPaginationRowModel(),
    autoResetPageIndex: false,
  });
  const shown = table.getFilteredRowModel().rows.length;
  return (
    <>
      <Group justify="space-between" my="sm">
        <TextInput
          aria-label={`Search ${label}`}
          placeholder={`Search ${label}`}
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setPagination((p) => ({ ...p, pageIndex: 0 }));
          }}
          w={280}
        />
        <Text size="sm" c="dimmed" aria-live="polite">
          {shown === rows.length ? `${rows.length} ${label}` : `${shown} of ${rows.length} ${label}`}
        </Text>
      </Group>
      <Table.ScrollContainer minWidth={600}>
        <Table striped highlightOnHover>
          <Table.Caption>{`The ${label} of this project`}</Table.Caption>
          <Table.Thead>
            {table.getHeaderGroups().map((group) => (
              <Table.Tr key={group.id}>
                {group.headers.map((header) => {
                  const sorted = header.column.getIsSorted();
                  const title = flexRender(header.column.columnDef.header, header.getContext());
                  return (
                    <Table.Th
                      key={header.id}
                      aria-sort={
                        sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined
                      }
                    >
                      {header.column.getCanSort() ? (
                        <UnstyledButton onClick={header.column.getToggleSortingHandler()} fw={700} fz="sm">
                          {title}
                          {sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ''}
                        </UnstyledButton>
                      ) : (
                        title
                      )}
                    </Table.Th>
                  );
                })}
              </Table.Tr>
            ))}
          </Table.Thead>
          <Table.Tbody>
            {table.getRowModel().rows.map((row) => (
              <Table.Tr key={row.id}>
                {row.getVisibleCells().map((cell) => (
                  <Table.Td key={cell.id}>
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
            {shown === 0 && (
              <Table.Tr>
                <Table.Td colSpan={columns.length}>
                  <Text c="dimmed" size="sm">
                    {rows.length === 0 ? (empty ?? `No ${label} yet.`) : `No ${label} match the search.`}
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {shown > Number(PAGE_SIZES[0]) && (
        <Group justify="space-between" my="sm">
          <Pagination
            total={table.getPageCount()}
            value={pagination.pageIndex + 1}
            onChange={(page) => setPagination((p) => ({ ...p, pageIndex: page - 1 }))}
            getControlProps={(control) => ({ 'aria-label': `${control} page` })}
            getItemProps={(page) => ({ 'aria-label': `Page ${page}` })}
          />
          <NativeSelect
            aria-label="Rows per page"
            data={PAGE_SIZES}
            value={String(pagination.pageSize)}
            onChange={(e) => setPagination({ pageIndex: 0, pageSize: Number(e.currentTarget.value) })}
          />
        </Group>
      )}
    </>
  );
}
