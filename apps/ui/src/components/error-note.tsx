import { Alert } from '@mantine/core';

/** What the server said when it refused: its own reason, as a person can act on it. */
export function ErrorNote({ error, title = 'Refused' }: { error: unknown; title?: string }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" title={title} role="alert" my="sm">
      {message}
    </Alert>
  );
}
