import { logTruncatedLine, type Logs } from './protocol.js';

/**
 * A run's logs held to `limitBytes` (stdout first, then stderr, counted in characters with a line's
 * end), as its record keeps them. The runners cut at the limit themselves; the host cuts again, since
 * a runner is the tenant's process and may say anything. Within the limit, the same object.
 */
export function boundedLogs(logs: Logs, limitBytes: number): Logs {
  let left = limitBytes;
  let cut = false;
  const keep = (lines: string[]): string[] => {
    const kept: string[] = [];
    for (const line of lines) {
      if (typeof line !== 'string') continue;
      if (line.length + 1 <= left) {
        kept.push(line);
        left -= line.length + 1;
        continue;
      }
      if (left > 0) kept.push(line.slice(0, left));
      left = 0;
      cut = true;
      break;
    }
    return kept;
  };
  const stdout = Array.isArray(logs.stdout) ? keep(logs.stdout) : [];
  const stdoutCut = cut;
  const stderr = Array.isArray(logs.stderr) ? keep(logs.stderr) : [];
  if (!cut) {
    if (stdout.length === logs.stdout?.length && stderr.length === logs.stderr?.length) return logs;
    return { stdout, stderr, ...(logs.truncated === true && { truncated: true }) };
  }
  const marker = logTruncatedLine(limitBytes);
  if (stdoutCut) stdout.push(marker);
  else stderr.push(marker);
  return { stdout, stderr, truncated: true };
}
