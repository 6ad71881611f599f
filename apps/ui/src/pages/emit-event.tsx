import { Button, Group, JsonInput, Modal, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorNote } from '../components/error-note.js';
import { useWorkspace } from '../session.js';

/** Emits a CloudEvent in this project, as `dispatch emit` does: its subscriptions' functions run. */
export function EmitEvent() {
  const { client } = useWorkspace();
  const [open, setOpen] = useState(false);
  const [type, setType] = useState('');
  const [data, setData] = useState('{}');
  const emission = useMutation({
    mutationFn: () =>
      client.emit({
        specversion: '1.0',
        type,
        source: 'dispatch-console',
        id: crypto.randomUUID(),
        datacontenttype: 'application/json',
        data: JSON.parse(data) as unknown,
      }),
  });
  return (
    <>
      <Button variant="default" onClick={() => setOpen(true)}>
        Emit an event
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="Emit an event">
        <TextInput
          label="Event type"
          value={type}
          onChange={(e) => setType(e.currentTarget.value)}
          required
        />
        <JsonInput label="Data (JSON)" value={data} onChange={setData} autosize minRows={4} mt="sm" />
        {emission.isError && <ErrorNote error={emission.error} />}
        {emission.isSuccess && (
          <Text size="sm" mt="sm" role="status">
            Emitted event {emission.data.id}.
          </Text>
        )}
        <Group justify="flex-end" mt="md">
          <Button loading={emission.isPending} disabled={!type} onClick={() => emission.mutate()}>
            Emit
          </Button>
        </Group>
      </Modal>
    </>
  );
}
