/**
 * POSTs retried until acknowledged, as a client does through an outage: `acknowledged` resolves once
 * `ok` accepts the status (up to `attempts`, 200 ms apart); `refusals` counts what was answered or
 * failed on the way, so a test can check that its outage was met.
 */
export function acknowledgingClient(api: string, headers: Record<string, string>, attempts = 100) {
  let refusals = 0;
  const acknowledged = async (path: string, body: unknown, ok: (status: number) => boolean) => {
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const res = await fetch(`${api}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      }).catch(() => undefined);
      if (res && ok(res.status)) return;
      refusals += 1;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${path} was never acknowledged`);
  };
  return { acknowledged, refusals: () => refusals };
}
