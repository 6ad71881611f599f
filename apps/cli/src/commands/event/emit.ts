import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { DomainError } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print } from '../../print.js';

export interface EmitFlags {
  data?: string;
  dataFromFile?: string;
  contentType?: string;
  eventId?: string;
  sourceId?: string;
}

/** The event's data: JSON given inline or in a file, or, with another content type, the text as is. */
function dataOf(flags: EmitFlags): unknown {
  if (flags.data !== undefined && flags.dataFromFile !== undefined)
    throw new DomainError('INVALID_ARGUMENT', 'give --data or --data-from-file, not both');
  let text = flags.data;
  if (flags.dataFromFile !== undefined) {
    try {
      text = readFileSync(flags.dataFromFile, 'utf8');
    } catch {
      throw new DomainError('INVALID_ARGUMENT', `cannot read ${flags.dataFromFile}`);
    }
  }
  if (text === undefined) return undefined;
  if (flags.contentType && !flags.contentType.includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    const where = flags.dataFromFile ?? '--data';
    throw new DomainError('INVALID_ARGUMENT', `${where} is not valid JSON (or give --content-type for text)`);
  }
}

/** `dispatch emit EVENT_TYPE`: one CloudEvent (1.0) to the org's bus, as the original CLI's emit. */
export async function emit(eventType: string, flags: EmitFlags, global: GlobalOptions): Promise<void> {
  const data = dataOf(flags);
  const emission = await clientFor(global).emit({
    specversion: '1.0',
    type: eventType,
    id: flags.eventId ?? randomUUID(),
    source: flags.sourceId ?? 'dispatch-cli',
    datacontenttype: flags.contentType ?? (data === undefined ? undefined : 'application/json'),
    data,
  });
  print(outputFormat(global), emission, () => [
    ['EVENT TYPE', 'EVENT ID', 'EMISSION'],
    [emission.eventType, emission.eventID, emission.id],
  ]);
}
