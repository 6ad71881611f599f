import { Badge, Button, Code, Drawer, Stack, Text, Title } from '@mantine/core';
import type { Run } from '@dispatch/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useWorkspace } from '../session.js';
import { actionColumn, nameColumn, textColumn, timeColumn } from './columns.js';
import { DataTable } from './data-table.js';
import { ErrorNote } from './error-note.js';

/** Newest first, each run once: a followed run replaces what a list had of it. */
function merge(runs: Run[], run: Run): Run[] {
  return [run, ...runs.filter((r) => r.name !== run.name)];
}

/**
 * The project's runs (or one function's), kept current without reloading: listed once, then each run
 * that finishes arrives over the API's follow (server-sent events); a broken follow is opened again.
 */
export function useLiveRuns(functionName?: string) {
  const { client, org, project } = useWorkspace();
  const queries = useQueryClient();
  const runs = useQuery({
    queryKey: ['runs', org, project, functionName ?? ''],
    queryFn: () => client.getRuns(functionName),
  });
  useEffect(() => {
    const key = ['runs', org, project, functionName ?? ''];
    const stop = new AbortController();
    const follow = async () => {
      while (!stop.signal.aborted) {
        try {
          const { events } = await client.followRuns(functionName, stop.signal);
          for await (const event of events)
            if ('run' in event) queries.setQueryData<Run[]>(key, (old) => merge(old ?? [], event.run));
        } catch {
          // Unreachable or refused: asked again below, and the list says what a refusal was.
        }
        await new Promise((r) => setTimeout(r, 2_000));
      }
    };
    void follow();
    return () => stop.abort();
  }, [client, queries, org, project, functionName]);
  return runs;
}

export function runStatus(run: Run): { label: string; color: string } {
  if (run.status !== 'READY' && run.status !== 'ERROR') return { label: 'RUNNING', color: 'blue.9' };
  if (run.error) return { label: run.error.type, color: 'red.9' };
  return { label: 'OK', color: 'teal.9' };
}

export function RunsTable({ runs, showFunction = true }: { runs: Run[]; showFunction?: boolean }) {
  const [shown, setShown] = useState<Run | undefined>();
  const columns = [
    nameColumn<Run>(),
    ...(showFunction ? [textColumn<Run>('function', 'Function', (r) => r.functionName)] : []),
    {
      id: 'status',
      header: 'Status',
      accessorFn: (r: Run) => runStatus(r).label,
      cell: ({ row }: { row: { original: Run } }) => {
        const { label, color } = runStatus(row.original);
        return (
          <Badge color={color} variant="outline">
            {label}
          </Badge>
        );
      },
    },
    timeColumn<Run>('executed', 'Started', (r) => r.executedTime),
    textColumn<Run>('duration', 'Duration (ms)', (r) => r.durationMs),
    actionColumn<Run>((r) => (
      <Button variant="subtle" size="xs" onClick={() => setShown(r)} aria-label={`Show run ${r.name}`}>
        Show
      </Button>
    )),
  ];
  return (
    <>
      <DataTable
        label="runs"
        rows={runs}
        columns={columns}
        initialSort={[{ id: 'executed', desc: true }]}
        empty="No runs yet: run the function, call its endpoint or emit an event it subscribes to."
      />
      <Drawer
        opened={shown !== undefined}
        onClose={() => setShown(undefined)}
        position="right"
        size="xl"
        title={`Run ${shown?.name ?? ''}`}
      >
        {shown && <RunResult run={shown} />}
      </Drawer>
    </>
  );
}

/** What a run took and gave: input, output, its error and what it printed. */
export function RunResult({ run }: { run: Run }) {
  const { label } = runStatus(run);
  return (
    <Stack gap="xs" aria-label={`Result of run ${run.name}`}>
      <Text size="sm">
        {run.functionName}: {label}, {run.durationMs} ms
      </Text>
      {run.error && (
        <ErrorNote
          title={run.error.type}
          error={`${run.error.message}${run.error.stacktrace?.length ? `\n${run.error.stacktrace.join('\n')}` : ''}`}
        />
      )}
      <Title order={3} size="h5">
        Output
      </Title>
      <Code block aria-label="Output">
        {JSON.stringify(run.output, null, 2) ?? 'null'}
      </Code>
      <Title order={3} size="h5">
        Logs
      </Title>
      <Code block aria-label="Logs">
        {[...(run.logs?.stdout ?? []), ...(run.logs?.stderr ?? []).map((l) => `stderr: ${l}`)].join('\n') ||
          '(nothing printed)'}
      </Code>
      <Title order={3} size="h5">
        Input
      </Title>
      <Code block aria-label="Input">
        {JSON.stringify(run.input, null, 2) ?? 'null'}
      </Code>
    </Stack>
  );
}
