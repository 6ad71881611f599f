import { Button, Modal, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { DialogActions } from './dialog-actions.js';

/** A delete button that asks first, and shows the server's reason when it refuses. */
export function ConfirmDelete({
  what,
  name,
  remove,
  onDeleted,
}: {
  what: string;
  name: string;
  remove: () => Promise<unknown>;
  onDeleted?: () => void;
}) {
  const [open, setOpen] = useState(false);
  const queries = useQueryClient();
  const deletion = useMutation({
    mutationFn: remove,
    onSuccess: async () => {
      setOpen(false);
      await queries.invalidateQueries();
      onDeleted?.();
    },
  });
  return (
    <>
      <Button
        color="red"
        variant="subtle"
        size="xs"
        onClick={() => setOpen(true)}
        aria-label={`Delete ${what} ${name}`}
      >
        Delete
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={`Delete ${what} ${name}?`}>
        <Text size="sm">This cannot be undone.</Text>
        <DialogActions
          action={deletion}
          label={`Delete ${what}`}
          color="red.9"
          onCancel={() => setOpen(false)}
        />
      </Modal>
    </>
  );
}
