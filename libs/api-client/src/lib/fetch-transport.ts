/** One call as a DispatchClient makes it. */
export interface HttpCall {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The whole call's deadline, answer included. */
  timeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * How a DispatchClient sends its calls. A failure to reach the server rejects with an error whose `code`
 * (or `cause.code`, as fetch has it) names it, e.g. ECONNREFUSED: the client decides from it whether
 * the call may be tried again.
 */
export type Transport = (url: string, call: HttpCall) => Promise<HttpAnswer>;

/** The platform's fetch: what the CLI and tests use, where a call's own cost does not matter. */
export const fetchTransport: Transport = async (url, { method, headers, body, timeoutMs }) => {
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
};
