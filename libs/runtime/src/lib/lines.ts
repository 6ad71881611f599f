import type { Readable } from 'node:stream';

/**
 * Calls `onLine` with each newline-terminated line of a UTF-8 stream, as node:readline does with none of
 * its terminal machinery: it sits under the answer of every call a runner makes. A line growing past
 * `maxLine` characters is not kept: `onTooLong` is told once, and the stream is read no further.
 */
export function onLines(
  stream: Readable,
  onLine: (line: string) => void,
  limit?: { maxLine: number; onTooLong: () => void },
): void {
  let rest = '';
  let overflowed = false;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    if (overflowed) return;
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
