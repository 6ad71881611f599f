import type { Readable } from 'node:stream';

/**
 * Calls `onLine` with each newline-terminated line of a UTF-8 stream, as node:readline does with none of
 * its terminal machinery: it sits under the answer of every call a runner makes.
 */
export function onLines(stream: Readable, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const text = rest === '' ? chunk : rest + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      onLine(text.slice(start, end));
      start = end + 1;
    }
    rest = text.slice(start);
  });
}
