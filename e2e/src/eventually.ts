/** Polls `probe` until it gives a value, or fails after `ms` saying what did not happen. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits, through the CLI, until a resource shows `status`; gives what `get -o json` showed then. */
export function statusOf(
  dispatch: (args: string[]) => Promise<{ stdout: string }>,
  kind: string,
  name: string,
  status: string,
): Promise<{ status: string; reason: string[] }> {
  return eventually(`${kind} ${name} ${status}`, async () => {
    const shown = JSON.parse((await dispatch(['get', kind, name, '-o', 'json'])).stdout) as {
      status: string;
      reason: string[];
    };
    return shown.status === status ? shown : undefined;
  });
}
