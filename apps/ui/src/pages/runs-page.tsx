import { Group, Select, Title } from '@mantine/core';
import { useState } from 'react';
import { toMs } from '../components/columns.js';
import { Loading } from '../components/loading.js';
import { ErrorNote } from '../components/error-note.js';
import { runStatus, RunsTable, useLiveRuns } from '../components/runs.js';

const SINCE: Record<string, number> = {
  'last hour': 3_600_000,
  'last day': 86_400_000,
  'last week': 604_800_000,
};

/** Every run of the project, live, filtered by function, outcome and time. */
export function RunsPage() {
  const runs = useLiveRuns();
  const [fn, setFn] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [since, setSince] = useState<string | null>(null);
  const names = [...new Set((runs.data ?? []).map((r) => r.functionName))].sort();
  const shown = (runs.data ?? []).filter(
    (r) =>
      (!fn || r.functionName === fn) &&
      (!status || runStatus(r).label === status) &&
      (!since || toMs(r.executedTime) >= Date.now() - (SINCE[since] ?? 0)),
  );
  return (
    <>
      <Title order={1}>Runs</Title>
      <Group my="sm">
        <Select
          label="Function"
          placeholder="any"
          data={names}
          value={fn}
          onChange={setFn}
          clearable
          searchable
        />
        <Select
          label="Outcome"
          placeholder="any"
          data={['OK', 'InputError', 'FunctionError', 'SystemError', 'RUNNING']}
          value={status}
          onChange={setStatus}
          clearable
        />
        <Select
          label="Started"
          placeholder="any time"
          data={Object.keys(SINCE)}
          value={since}
          onChange={setSince}
          clearable
        />
      </Group>
      {runs.isPending && <Loading label="Loading runs" />}
      {runs.isError && <ErrorNote error={runs.error} />}
      {runs.data && <RunsTable runs={shown} />}
    </>
  );
}
