import { ActionIcon, Button, Group, Modal, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import type { Secret } from '@dispatch/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { actionColumn, codeColumn, nameColumn, timeColumn } from '../components/columns.js';
import { ConfirmDelete } from '../components/confirm-delete.js';
import { DialogActions } from '../components/dialog-actions.js';
import { ListPage } from '../components/list-page.js';
import { useWorkspace } from '../session.js';

/** A secret as the console's server hands it over: its keys, never its values. */
type SecretKeys = Omit<Secret, 'secrets'> & { keys: string[] };

export function SecretsPage() {
  const { client, org, project } = useWorkspace();
  const secrets = useQuery({
    queryKey: ['/secrets', org, project],
    queryFn: async () => (await client.secrets.list()) as unknown as SecretKeys[],
  });
  const columns = [
    nameColumn<SecretKeys>(),
    codeColumn<SecretKeys>('keys', 'Keys', (s) => s.keys.join(', ')),
    timeColumn<SecretKeys>('created', 'Created', (s) => s.createdTime),
    actionColumn<SecretKeys>((s) => (
      <ConfirmDelete what="secret" name={s.name} remove={() => client.secrets.delete(s.name)} />
    )),
  ];
  return (
    <ListPage
      title="Secrets"
      tools={<CreateSecret />}
      list={secrets}
      columns={columns}
      note={
        <Text size="sm" c="dimmed">
          The console shows a secret's keys, never its values.
        </Text>
      }
    />
  );
}

function CreateSecret() {
  const { client } = useWorkspace();
  const queries = useQueryClient();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [pairs, setPairs] = useState([{ key: '', value: '' }]);
  const set = (i: number, field: 'key' | 'value', v: string) =>
    setPairs((ps) => ps.map((p, j) => (j === i ? { ...p, [field]: v } : p)));
  const creation = useMutation({
    mutationFn: () =>
      client.secrets.create({
        name,
        secrets: Object.fromEntries(pairs.filter((p) => p.key).map((p) => [p.key, p.value])),
      }),
    onSuccess: async () => {
      setOpen(false);
      setPairs([{ key: '', value: '' }]);
      await queries.invalidateQueries({ queryKey: ['/secrets'] });
    },
  });
  return (
    <>
      <Button onClick={() => setOpen(true)}>Create secret</Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="Create secret">
        <Stack>
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} required />
          {pairs.map((pair, i) => (
            <Group key={i} align="flex-end" wrap="nowrap">
              <TextInput
                label={`Key ${i + 1}`}
                value={pair.key}
                onChange={(e) => set(i, 'key', e.currentTarget.value)}
              />
              <PasswordInput
                label={`Value ${i + 1}`}
                value={pair.value}
                onChange={(e) => set(i, 'value', e.currentTarget.value)}
                autoComplete="off"
              />
              <ActionIcon
                variant="subtle"
                color="red"
                aria-label={`Remove key ${i + 1}`}
                onClick={() => setPairs((ps) => ps.filter((_, j) => j !== i))}
                disabled={pairs.length === 1}
              >
                ×
              </ActionIcon>
            </Group>
          ))}
          <Button variant="default" onClick={() => setPairs((ps) => [...ps, { key: '', value: '' }])}>
            Add a key
          </Button>
          <DialogActions action={creation} onCancel={() => setOpen(false)} />
        </Stack>
      </Modal>
    </>
  );
}
