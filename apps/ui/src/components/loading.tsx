import { Center, Loader } from '@mantine/core';

/** A spinner a screen reader names: "Loading functions". */
export function Loading({ label, full = false }: { label: string; full?: boolean }) {
  return (
    <Center role="progressbar" aria-label={label} h={full ? '100vh' : undefined} py="md">
      <Loader aria-hidden />
    </Center>
  );
}
