import type { ResourceClient, WatchChange } from '@dispatch/api-client/browser';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { useWorkspace, type Workspace } from '../session.js';
import { isSettling } from './status-badge.js';

type Resource<T> = (client: Workspace['client']) => ResourceClient<T, { name: string }>;

/**
 * Keeps a watch of a kind open while the page shows it (the API's `watch=true`), calling `onChange`
 * with each change, and opening it again 2 s after it broke. Gives whether it is open now. `resource`
 * must be a stable function (defined once, outside the component).
 */
export function useWatch<T>(
  resource: Resource<T>,
  onChange: (change: WatchChange<T>) => void,
  enabled = true,
): boolean {
  const { client } = useWorkspace();
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!enabled) return;
    const stop = new AbortController();
    const run = async () => {
      while (!stop.signal.aborted) {
        try {
          const { changes } = await resource(client).watch(stop.signal);
          setOpen(true);
          for await (const change of changes) onChange(change);
        } catch {
          // Refused or unreachable: the list still refreshes itself, and the watch is tried again.
        }
        setOpen(false);
        await new Promise((r) => setTimeout(r, 2_000));
      }
    };
    void run();
    return () => stop.abort();
  }, [client, resource, onChange, enabled]);
  return open;
}

function applied<T extends { name: string }>(rows: T[], change: WatchChange<T>): T[] {
  if (change.type === 'delete') return rows.filter((r) => r.name !== change.name);
  const at = rows.findIndex((r) => r.name === change.model.name);
  if (at < 0) return [...rows, change.model];
  return rows.map((r, i) => (i === at ? change.model : r));
}

/**
 * A kind's list in the chosen project, kept current: listed, then changed as the watch tells (statuses
 * moving from building to READY, entities others create or delete), listed again once the watch opens
 * (to close the gap between the two) and every 30 s. Where a kind cannot be watched, or the watch is
 * down, the list is asked again every second while something in it is moving, else every 5 s.
 */
export function useLiveList<T extends { name: string; status?: string }>(
  key: string,
  resource: Resource<T>,
  watchable: boolean,
) {
  const { client, org, project } = useWorkspace();
  const queries = useQueryClient();
  const onChange = useCallback(
    (change: WatchChange<T>) =>
      queries.setQueryData<T[]>([key, org, project], (old) => applied(old ?? [], change)),
    [queries, key, org, project],
  );
  const watching = useWatch(resource, onChange, watchable);
  const list = useQuery({
    queryKey: [key, org, project],
    queryFn: () => resource(client).list(),
    refetchInterval: (query) =>
      watching ? 30_000 : query.state.data?.some((r) => isSettling(r.status)) ? 1_000 : 5_000,
  });
  useEffect(() => {
    if (watching) void queries.invalidateQueries({ queryKey: [key, org, project], exact: true });
  }, [watching, queries, key, org, project]);
  return list;
}
