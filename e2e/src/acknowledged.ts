/**
 * POSTs retried until acknowledged, as a client does through an outage: `acknowledged` resolves once
 * `ok` accepts the status (up to `attempts`, 200 ms apart); `refusals` counts what was answered or
 * failed on the way, so a test can check that its outage was met. `streamRound(i)` is one round of
 * the outage suites' stream: secret `s-<i>`, event `e-<i>` of type stream.event, and a blocking exec
 * of function `count` with input `{i}`.
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
  const streamRound = (i: number) =>
    Promise.all([
      // An entity: 409 means an earlier attempt stored it and only its answer was lost.
      acknowledged(
        '/v1/secret',
        { name: `s-${i}`, secrets: { i: String(i) } },
        (s) => s === 201 || s === 409,
      ),
      acknowledged(
        '/v1/event',
        { specversion: '1.0', type: 'stream.event', source: 'e2e', id: `e-${i}` },
        (s) => s === 200,
      ),
      acknowledged('/v1/runs', { functionName: 'count', blocking: true, input: { i } }, (s) => s === 200),
    ]);
  return { acknowledged, streamRound, refusals: () => refusals };
}
