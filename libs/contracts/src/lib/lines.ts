import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * Calls `onLine` with each newline-terminated line of a UTF-8 stream, as node:readline does with none of
 * its terminal machinery: it sits under every answer of a runner and every line of the run channel. A line past
 * `maxLine` characters is not kept: `onTooLong` is told once, and the stream is read no further.
 */
export function onLines(
  stream: Readable,
  onLine: (line: string) => void,
  limit?: { maxLine: number; onTooLong: () => void },
): void {
  let rest = '';
  let overflowed = false;
  // Decoded here rather than by setEncoding, which a socket that was an HTTP connection refuses (the run
  // channel's); the decoder keeps a character split across chunks whole.
  const decoder = new StringDecoder('utf8');
  stream.on('data', (data: Buffer) => {
    if (overflowed) return;
    const chunk = decoder.write(data);
    const text = rest === '' ? chunk : rest + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      onLine(text.slice(start, end));
      start = end + 1;
    }
    rest = text.slice(start);
    if (limit && rest.length > limit.maxLine) {
      overflowed = true;
      rest = '';
      limit.onTooLong();
    }
  });
}

/**
 * A writer of lines to `stream` where the lines written in one turn of the event loop leave in one
 * write: on a loaded host many calls arrive in one turn, and each write wakes the other side, which
 * costs more than a call itself.
 */
export function lineWriter(stream: Writable): (line: string) => void {
  let corked = false;
  return (line) => {
    if (!corked) {
      corked = true;
      stream.cork();
      setImmediate(() => {
        corked = false;
        stream.uncork();
      });
    }
    stream.write(`${line}\n`);
  };
}
