import { CloudEvent as SdkEvent, ValidationError } from 'cloudevents';
import { DomainError, EVENT_TYPE_PATTERN, type CloudEvent } from '@dispatch/contracts';

/** CloudEvents 1.0 attributes that are not extensions. */
const CORE = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'datacontenttype',
  'dataschema',
  'subject',
  'data',
  'data_base64',
]);

type Fields = Record<string, unknown>;

/**
 * An emitted event in either of the forms clients send: CloudEvents 1.0 (`specversion`, `id`, `source`,
 * `type`, ...) or the 0.1 field names of the original Dispatch CLI (`cloudEventsVersion`, `eventID`,
 * `eventType`, ...). Both are checked by the CloudEvents SDK's own schema, and come out with the upstream
 * model's (0.1) names, which is how functions see them in `context.event`.
 */
export function parseCloudEvent(body: unknown): CloudEvent {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('the body must be a JSON object holding a CloudEvent');
  const fields = body as Fields;
  if ('specversion' in fields) return fromV1(fields);
  if ('cloudEventsVersion' in fields || 'eventType' in fields || 'eventID' in fields) return fromV01(fields);
  throw invalid(
    'not a CloudEvent: give specversion, id, source and type (CloudEvents 1.0), or cloudEventsVersion, eventID, source and eventType (0.1)',
  );
}

function fromV1(fields: Fields): CloudEvent {
  const checked = validated(fields);
  const extensions: Fields = {};
  for (const [name, value] of Object.entries(fields)) if (!CORE.has(name)) extensions[name] = value;
  return event({
    eventType: checked.type,
    cloudEventsVersion: checked.specversion,
    source: checked.source,
    eventID: checked.id,
    eventTime: checked.time,
    schemaURL: checked.dataschema,
    contentType: checked.datacontenttype,
    extensions: Object.keys(extensions).length ? extensions : undefined,
    data: fields['data_base64'] !== undefined ? fields['data_base64'] : fields['data'],
  });
}

function fromV01(fields: Fields): CloudEvent {
  const version = fields['cloudEventsVersion'];
  if (version !== undefined && version !== '0.1')
    throw invalid(
      `cloudEventsVersion ${JSON.stringify(version)} is not one Dispatch reads: use 0.1 or CloudEvents 1.0`,
    );
  const extensions = fields['extensions'];
  if (
    extensions !== undefined &&
    (typeof extensions !== 'object' || extensions === null || Array.isArray(extensions))
  )
    throw invalid('extensions must be an object');
  // The 0.1 names carry the same meaning as 1.0's: the SDK checks them under their 1.0 names.
  const checked = validated(
    {
      specversion: '1.0',
      type: fields['eventType'],
      id: fields['eventID'],
      source: fields['source'],
      time: fields['eventTime'],
      dataschema: fields['schemaURL'],
      datacontenttype: fields['contentType'],
    },
    {
      type: 'eventType',
      id: 'eventID',
      time: 'eventTime',
      dataschema: 'schemaURL',
      datacontenttype: 'contentType',
    },
  );
  const typeVersion = fields['eventTypeVersion'];
  if (typeVersion !== undefined && typeof typeVersion !== 'string')
    throw invalid('eventTypeVersion must be a string');
  return event({
    eventType: checked.type,
    eventTypeVersion: typeVersion,
    cloudEventsVersion: '0.1',
    source: checked.source,
    eventID: checked.id,
    eventTime: checked.time,
    schemaURL: checked.dataschema,
    contentType: checked.datacontenttype,
    extensions: extensions as Fields | undefined,
    data: fields['data'],
  });
}

/** The SDK's check of the required attributes and their formats, its complaint named in ours. */
function validated(fields: Fields, names: Record<string, string> = {}): SdkEvent<unknown> {
  for (const required of ['id', 'source', 'type']) {
    const value = fields[required];
    if (typeof value !== 'string' || value === '')
      throw invalid(`${names[required] ?? required} is required and must be a non-empty string`);
  }
  const attributes: Fields = {};
  for (const [name, value] of Object.entries(fields))
    if (value !== undefined && name !== 'data') attributes[name] = value;
  try {
    return new SdkEvent(attributes as never, true);
  } catch (err) {
    if (err instanceof ValidationError) {
      const first = (err.errors as { instancePath?: string; message?: string }[] | undefined)?.[0];
      const attribute = first?.instancePath?.replace(/^\//, '') ?? '';
      throw invalid(`${names[attribute] ?? attribute} ${first?.message ?? err.message}`.trim());
    }
    throw invalid((err as Error).message);
  }
}

function event(e: CloudEvent): CloudEvent {
  if (!EVENT_TYPE_PATTERN.test(e.eventType))
    throw invalid(`eventType ${JSON.stringify(e.eventType)} may hold letters, digits, _, - and . only`);
  // Absent fields stay absent rather than `undefined`, as they would be in JSON.
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as CloudEvent;
}

function invalid(message: string): DomainError {
  return new DomainError('INVALID_ARGUMENT', `invalid event: ${message}`);
}

/** The event as a function sees it in `context.event`: everything but its data. */
export function withoutData(e: CloudEvent): Omit<CloudEvent, 'data'> {
  const { data: _data, ...rest } = e;
  return rest;
}
