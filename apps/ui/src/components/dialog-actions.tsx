import { Button, Group } from '@mantine/core';
import type { UseMutationResult } from '@tanstack/react-query';
import { ErrorNote } from './error-note.js';

/**
 * The foot of a dialog that does one thing: the server's reason when it refused, then Cancel and the
 * action, which shows it is waiting while the call is out.
 */
export function DialogActions({
  action,
  label = 'Create',
  onCancel,
  color,
}: {
  action: UseMutationResult<unknown, Error, void>;
  label?: string;
  onCancel: () => void;
  color?: string;
}) {
  return (
    <>
      {action.isError && <ErrorNote error={action.error} />}
      <Group justify="flex-end" mt="md">
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
        <Button color={color} loading={action.isPending} onClick={() => action.mutate()}>
          {label}
        </Button>
      </Group>
    </>
  );
}
