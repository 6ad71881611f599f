import { Anchor, Button, Modal, MultiSelect, Select, Stack, TextInput } from '@mantine/core';
import type { Endpoint } from '@dispatch/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { actionColumn, nameColumn, statusColumn, textColumn } from '../components/columns.js';
import { ConfirmDelete } from '../components/confirm-delete.js';
import { DialogActions } from '../components/dialog-actions.js';
import { ListPage } from '../components/list-page.js';
import { useLiveList } from '../components/live.js';
import { useWorkspace, type Workspace } from '../session.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Where an endpoint answers: the gateway, under `/<org>` for every org but the default one. */
export function endpointUrl(workspace: Workspace, path: string, host?: string): string {
  const base = workspace.session.endpointsUrl || location.origin;
  if (host) {
    const url = new URL(base);
    url.hostname = host;
    return `${url.origin}${path}`;
  }
  return `${base}${workspace.org === 'default' ? '' : `/${workspace.org}`}${path}`;
}

const endpointsOf = (client: Workspace['client']) => client.endpoints;

export function EndpointsPage() {
  const workspace = useWorkspace();
  const { client } = workspace;
  const endpoints = useLiveList('/endpoints', endpointsOf, true);
  const columns = [
    nameColumn<Endpoint>(),
    statusColumn<Endpoint>(),
    textColumn<Endpoint>('function', 'Function', (e) => e.function),
    textColumn<Endpoint>('methods', 'Methods', (e) => e.methods.join(', ')),
    {
      id: 'urls',
      header: 'URLs',
      accessorFn: (e: Endpoint) => e.uris.join(' '),
      cell: ({ row }: { row: { original: Endpoint } }) =>
        row.original.uris.flatMap((uri) =>
          (row.original.hosts.length ? row.original.hosts : [undefined]).map((host) => {
            const url = endpointUrl(workspace, uri, host);
            return (
              <div key={url}>
                <Anchor href={url} target="_blank" rel="noopener noreferrer">
                  {url}
                </Anchor>
              </div>
            );
          }),
        ),
    },
    actionColumn<Endpoint>((e) => (
      <ConfirmDelete what="endpoint" name={e.name} remove={() => client.endpoints.delete(e.name)} />
    )),
  ];
  return <ListPage title="Endpoints" tools={<CreateEndpoint />} list={endpoints} columns={columns} />;
}

function CreateEndpoint() {
  const { client, org, project } = useWorkspace();
  const queries = useQueryClient();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [fn, setFn] = useState<string | null>(null);
  const [path, setPath] = useState('/');
  const [methods, setMethods] = useState<string[]>(['GET']);
  const functions = useQuery({
    queryKey: ['/functions', org, project],
    queryFn: () => client.functions.list(),
    enabled: open,
  });
  const creation = useMutation({
    mutationFn: () => client.endpoints.create({ name, function: fn ?? '', uris: [path], methods }),
    onSuccess: async () => {
      setOpen(false);
      await queries.invalidateQueries({ queryKey: ['/endpoints'] });
    },
  });
  return (
    <>
      <Button onClick={() => setOpen(true)}>Create endpoint</Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="Create endpoint">
        <Stack>
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} required />
          <Select
            label="Function"
            data={(functions.data ?? []).map((f) => f.name)}
            value={fn}
            onChange={setFn}
            required
            searchable
          />
          <TextInput label="Path" value={path} onChange={(e) => setPath(e.currentTarget.value)} required />
          <MultiSelect label="Methods" data={METHODS} value={methods} onChange={setMethods} required />
          <DialogActions action={creation} onCancel={() => setOpen(false)} />
        </Stack>
      </Modal>
    </>
  );
}
