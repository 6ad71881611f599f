import { z } from 'zod';
import { NAME_PATTERN } from '../entity.js';
import { secretNamesField, tagsField } from './fields.js';

/**
 * The body of `POST /v1/runs`, one execution, validated by the functions service and sent by every
 * caller (the gateway, the events service, DispatchClient): `functionName` may come in the query.
 */
export const runRequestBody = z.object({
  functionName: z.string().regex(NAME_PATTERN, 'functionName must name a function').optional(),
  blocking: z.boolean({ error: 'blocking must be true or false' }).optional(),
  input: z.unknown().optional(),
  secrets: secretNamesField,
  tags: tagsField,
  // Set by the gateway and the events service when they run a function through this API.
  httpContext: z.record(z.string(), z.unknown(), { error: 'httpContext must be an object' }).optional(),
  event: z.record(z.string(), z.unknown(), { error: 'event must be an object' }).optional(),
  // The run's name, chosen by the caller to make the call idempotent: when a run of that name already
  // finished READY, or is still running, it is answered instead of running the function again.
  name: z.uuid({ error: 'name must be a UUID' }).optional(),
});

/** What a caller of `POST /v1/runs` may send (the schema's input: what it validates). */
export type RunRequestBody = z.input<typeof runRequestBody>;
