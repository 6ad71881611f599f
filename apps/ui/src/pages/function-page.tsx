import { Anchor, Button, Card, Code, Group, JsonInput, Table, Text, Title } from '@mantine/core';
import type { WatchChange } from '@dispatch/api-client/browser';
import type { DispatchFunction } from '@dispatch/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { FunctionActivityGraphs } from '../components/activity.js';
import { ConfirmDelete } from '../components/confirm-delete.js';
import { useWatch } from '../components/live.js';
import { Loading } from '../components/loading.js';
import { ErrorNote } from '../components/error-note.js';
import { RunResult, RunsTable, useLiveRuns } from '../components/runs.js';
import { StatusBadge, isSettling } from '../components/status-badge.js';
import { useWorkspace } from '../session.js';
import { unpackSource } from '../source.js';
import { functionsOf } from './functions-page.js';

/** One function: what it is, a form to run it, and its runs as they happen. */
export function FunctionPage({ name }: { name: string }) {
  const { client, org, project } = useWorkspace();
  const [, navigate] = useLocation();
  const queries = useQueryClient();
  // Its status moves as the watch of functions tells (READY once built); asked again now and then too.
  const onChange = useCallback(
    (change: WatchChange<DispatchFunction>) => {
      if (change.type === 'put' && change.model.name === name)
        queries.setQueryData(['/functions', org, project, name], change.model);
    },
    [queries, org, project, name],
  );
  const watching = useWatch(functionsOf, onChange);
  const fn = useQuery({
    queryKey: ['/functions', org, project, name],
    queryFn: () => client.functions.get(name),
    refetchInterval: (query) => (watching ? 30_000 : isSettling(query.state.data?.status) ? 1_000 : 10_000),
  });
  return (
    <>
      <Anchor component={Link} href="/functions" size="sm">
        ← Functions
      </Anchor>
      <Group justify="space-between">
        <Title order={1}>{name}</Title>
        <ConfirmDelete
          what="function"
          name={name}
          remove={() => client.functions.delete(name)}
          onDeleted={() => navigate('/functions')}
        />
      </Group>
      {fn.isPending && <Loading label="Loading the function" />}
      {fn.isError && <ErrorNote error={fn.error} />}
      {fn.data && <FunctionActivityGraphs name={name} />}
      {fn.data && <Overview fn={fn.data} />}
      {fn.data && <FunctionSource name={name} />}
      {fn.data?.status === 'READY' && <RunForm name={name} />}
      <FunctionRuns name={name} />
    </>
  );
}

function Overview({ fn }: { fn: DispatchFunction }) {
  const rows: [string, React.ReactNode][] = [
    ['Status', <StatusBadge key="s" status={fn.status} />],
    ['Reason', fn.reason?.join('; ') || '—'],
    ['Image', fn.image],
    ['Handler', fn.handler ? <Code key="h">{fn.handler}</Code> : '—'],
    ['Secrets', fn.secrets?.length ? fn.secrets.join(', ') : '—'],
    ['Timeout', fn.timeout ? `${fn.timeout} ms` : 'default'],
    [
      'Input schema',
      fn.schema?.in ? (
        <Code key="i" block>
          {JSON.stringify(fn.schema.in, null, 2)}
        </Code>
      ) : (
        '—'
      ),
    ],
    [
      'Output schema',
      fn.schema?.out ? (
        <Code key="o" block>
          {JSON.stringify(fn.schema.out, null, 2)}
        </Code>
      ) : (
        '—'
      ),
    ],
  ];
  return (
    <Table my="md" variant="vertical" withTableBorder aria-label="The function">
      <Table.Tbody>
        {rows.map(([label, value]) => (
          <Table.Tr key={label}>
            <Table.Th w={160}>{label}</Table.Th>
            <Table.Td>{value}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Runs the function with a JSON input and shows what came back, as `dispatch exec` does. */
function RunForm({ name }: { name: string }) {
  const { client } = useWorkspace();
  const queries = useQueryClient();
  const [input, setInput] = useState('{}');
  const run = useMutation({
    mutationFn: () => client.runFunction(name, { blocking: true, input: JSON.parse(input) as unknown }),
    // The graphs count it at once.
    onSettled: () => queries.invalidateQueries({ queryKey: ['activity'] }),
  });
  return (
    <Card withBorder my="md">
      <Title order={2} size="h4">
        Run it
      </Title>
      <JsonInput
        label="Input (JSON)"
        value={input}
        onChange={setInput}
        autosize
        minRows={3}
        validationError="This is not JSON"
      />
      <Group mt="sm">
        <Button loading={run.isPending} onClick={() => run.mutate()}>
          Run
        </Button>
      </Group>
      {run.isError && <ErrorNote error={run.error} />}
      {run.data && (
        <div role="status" aria-live="polite">
          <RunResult run={run.data} />
        </div>
      )}
    </Card>
  );
}

function FunctionRuns({ name }: { name: string }) {
  const runs = useLiveRuns(name);
  return (
    <>
      <Title order={2} size="h4" mt="lg">
        Runs
      </Title>
      <Text size="sm" c="dimmed">
        Runs appear here as they finish.
      </Text>
      {runs.isError && <ErrorNote error={runs.error} />}
      {runs.data && <RunsTable runs={runs.data} showFunction={false} />}
    </>
  );
}

/** The function's code as it was given, file by file (folded away until asked for). */
function FunctionSource({ name }: { name: string }) {
  const { client, org, project } = useWorkspace();
  const source = useQuery({
    queryKey: ['/functions', org, project, name, 'source'],
    queryFn: async () => unpackSource((await client.functionSource(name)).source),
  });
  if (source.isError) return <ErrorNote error={source.error} />;
  return (
    <details>
      <summary>
        <Text span fw={700}>
          Source{source.data ? ` (${source.data.map((f) => f.name).join(', ')})` : ''}
        </Text>
      </summary>
      {source.data?.map((file) => (
        <div key={file.name}>
          <Text size="sm" fw={700} mt="xs">
            {file.name}
          </Text>
          <Code block aria-label={`Source file ${file.name}`}>
            {file.text ?? '(binary)'}
          </Code>
        </div>
      ))}
    </details>
  );
}
