import { Button, Code, Drawer, Group, JsonInput, Modal, Text } from '@mantine/core';
import type { ResourceClient } from '@dispatch/api-client/browser';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState, type ComponentType } from 'react';
import { actionColumn } from '../components/columns.js';
import { ConfirmDelete } from '../components/confirm-delete.js';
import { DialogActions } from '../components/dialog-actions.js';
import { ListPage } from '../components/list-page.js';
import { useLiveList } from '../components/live.js';
import { useWorkspace, type Workspace } from '../session.js';

export interface Listed {
  name: string;
  status?: string;
}

/** One kind's page, stated as data: where it lives, how to reach its API, what its table shows. */
export interface ResourcePageDef<T extends Listed = Listed> {
  path: string;
  /** Plural, as the navigation and the table say it: "Images". */
  title: string;
  /** Singular, in lower case, as buttons say it: "image". */
  noun: string;
  resource: (client: Workspace['client']) => ResourceClient<T, { name: string }>;
  columns: ColumnDef<T, unknown>[];
  /** A starting point for "Create" (a body as `dispatch create -f` takes it); none: nothing to create. */
  template?: Record<string, unknown>;
  /** A page's own tools above its table (the events page's "Emit an event"). */
  tools?: ComponentType;
  /** Whether rows can be deleted here (dead letters can, too). */
  deletable?: boolean;
  /** Whether the API watches this kind's list (kinds whose status moves by itself). */
  watchable?: boolean;
}

export function ResourcePage<T extends Listed>({ page }: { page: ResourcePageDef<T> }) {
  const workspace = useWorkspace();
  const { client } = workspace;
  const [shown, setShown] = useState<T | undefined>();
  const list = useLiveList(page.path, page.resource, page.watchable === true);
  const columns: ColumnDef<T, unknown>[] = [
    ...page.columns,
    actionColumn((row: T) => (
      <Group gap={4} wrap="nowrap">
        <Button
          variant="subtle"
          size="xs"
          onClick={() => setShown(row)}
          aria-label={`Show ${page.noun} ${row.name}`}
        >
          Show
        </Button>
        {page.deletable !== false && (
          <ConfirmDelete
            what={page.noun}
            name={row.name}
            remove={() => page.resource(client).delete(row.name)}
          />
        )}
      </Group>
    )),
  ];
  const Tools = page.tools;
  return (
    <>
      <ListPage
        title={page.title}
        tools={
          <>
            {Tools && <Tools />}
            {page.template && <CreateFromJson page={page} />}
          </>
        }
        list={list}
        columns={columns}
      />
      <Drawer
        opened={shown !== undefined}
        onClose={() => setShown(undefined)}
        position="right"
        size="lg"
        title={shown ? `${page.noun} ${shown.name}` : ''}
      >
        {shown && (
          <Code block aria-label={`${page.noun} ${shown.name} as JSON`}>
            {JSON.stringify(shown, null, 2)}
          </Code>
        )}
      </Drawer>
    </>
  );
}

/** Create from a JSON body, the API's own: what `dispatch create -f` files hold. */
function CreateFromJson<T extends Listed>({ page }: { page: ResourcePageDef<T> }) {
  const { client } = useWorkspace();
  const queries = useQueryClient();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState(() => JSON.stringify(page.template, null, 2));
  const creation = useMutation({
    mutationFn: () => page.resource(client).create(JSON.parse(text) as { name: string }),
    onSuccess: async () => {
      setOpen(false);
      await queries.invalidateQueries({ queryKey: [page.path] });
    },
  });
  return (
    <>
      <Button onClick={() => setOpen(true)}>Create {page.noun}</Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={`Create ${page.noun}`} size="lg">
        <Text size="sm" mb="xs">
          The {page.noun} as the API takes it (JSON).
        </Text>
        <JsonInput
          label={`${page.noun} (JSON)`}
          value={text}
          onChange={setText}
          autosize
          minRows={8}
          validationError="This is not JSON"
          formatOnBlur
        />
        <DialogActions action={creation} onCancel={() => setOpen(false)} />
      </Modal>
    </>
  );
}
