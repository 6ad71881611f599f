import { stringify } from 'yaml';
import type { OutputFormat } from './global-options.js';

/** Tables for people, JSON or YAML for scripts. */
export function print(format: OutputFormat, value: unknown, table: () => string[][]): void {
  switch (format) {
    case 'json':
      console.log(JSON.stringify(value, null, 2));
      return;
    case 'yaml':
      process.stdout.write(stringify(value));
      return;
    case 'table': {
      const rows = table();
      const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
      for (const row of rows)
        console.log(
          row
            .map((cell, i) => cell.padEnd(widths[i] ?? 0))
            .join('  ')
            .trimEnd(),
        );
      return;
    }
  }
}

export function when(seconds: number | undefined): string {
  return seconds ? new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19) : '';
}

/** STATUS with the reason of an ERROR, the column a person reads first. */
export function statusOf(entity: { status: string; reason?: string[] }): string {
  return entity.status === 'ERROR' && entity.reason?.length
    ? `ERROR (${entity.reason.join('; ')})`
    : entity.status;
}
