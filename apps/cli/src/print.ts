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
