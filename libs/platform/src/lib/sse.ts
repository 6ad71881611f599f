/**
 * Server-sent events as the WHATWG HTML standard frames them (text/event-stream): fields of one event
 * on lines of their own, a blank line ending it. `data` is JSON here, which never holds a raw newline,
 * so each event's data is one line.
 */
export function sseEvent(event: string, data: string, id?: string): string {
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`;
}

/** A comment line: ignored by a client, it keeps a quiet connection alive (and says what it is). */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]/g, ' ')}\n\n`;
}
